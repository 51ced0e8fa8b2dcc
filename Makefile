# webdlbench: `make demo` runs the quick suite and writes the report; `make test` runs the tests.
# Both set everything up first (Chromium, the venv, the JS frameworks) and are safe to re-run.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup browser grid bundles demo test test-fast report clean llama-cpp

setup: browser $(VENV)/.installed node_modules/.package-lock.json bundles

browser:
	@scripts/ensure-browser.sh

# Java and ChromeDriver for the real Selenium Grid 4 in tests/grid (its jar comes with npm ci). The
# tests use them and never install; `make test` stops here, saying what to install, where it cannot.
grid:
	@scripts/ensure-grid.sh

# The stamp lives inside the venv, so deleting the venv redoes the install.
$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps tf-keras==2.21.0
	# The official TF.js converter, without its declared dependencies (a second TensorFlow, jax, flax,
	# ydf): models/tfjs_converter.py supplies stand-ins for the three modules it imports but never uses.
	$(BIN)/pip install --quiet --no-deps tensorflowjs==4.22.0
	# RQ4's model makers and PyTorch runner (models/webai/, native/webai.py), without their declared
	# dependencies, which would pull a second (CUDA) torch; what they import is listed with them.
	$(BIN)/pip install --quiet --no-deps transformers==4.57.6 tokenizers==0.22.2 optimum==2.1.0 \
		optimum-onnx==0.1.0 huggingface-hub==0.36.2 safetensors==0.8.0 regex==2026.11.19 pyyaml==6.0.4 \
		tqdm==4.70.1 hf-xet==1.8.0 sentencepiece==0.2.3
	# llama.cpp's own HF-to-GGUF converter (RQ4's decoders for wllama and llama.cpp), from the pinned
	# llama-cpp-python source distribution (it vendors llama.cpp), into build/; nothing is compiled.
	$(BIN)/python -m webdlbench.models.webai.gguf_converter
	@touch $@

# npm ci writes node_modules/.package-lock.json: present means installed from the lockfile.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

# Bundles of frameworks that are not on npm (Mind), built from their source into build/; each is rebuilt
# only when its inputs changed. Mind's source is looked for in $$MIND_SOURCE, ../shared/vendor/mind,
# /work/shared/vendor/mind; without one, Mind is listed as unavailable with that reason.
bundles: $(VENV)/.installed node_modules/.package-lock.json
	$(BIN)/python -m webdlbench.frameworks

demo: setup
	$(BIN)/webdlbench run quick
	$(BIN)/webdlbench report
	@echo "Open results/report/index.html"

# Unit and contract tests only: no browser, no native runtime, no grid (under 2 minutes here).
test-fast: $(VENV)/.installed node_modules/.package-lock.json
	$(BIN)/pytest -m "not browser and not native and not grid and not slow"

test: setup grid
	$(BIN)/pytest

# Native llama.cpp for RQ4 (llama-cpp-python has no wheel: this compiles llama.cpp, ~12 minutes on
# 2 cores), so it is not part of setup: without it the runtime `llamacpp` is listed as unavailable.
llama-cpp: $(VENV)/.installed
	$(BIN)/pip install --no-deps --no-binary llama-cpp-python llama-cpp-python==0.3.36 diskcache==5.6.3

clean:
	rm -rf $(VENV) node_modules build results test-artifacts .pytest_cache
