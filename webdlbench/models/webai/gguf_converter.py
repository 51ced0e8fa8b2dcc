"""llama.cpp's own HF-to-GGUF converter, fetched at setup (`python -m webdlbench.models.webai.gguf_converter`,
run by `make setup`): the PyPI `gguf` package carries no converter and is older than the one the
converter needs, so both come from the llama-cpp-python source distribution, which vendors
llama.cpp — `vendor/llama.cpp/convert_hf_to_gguf.py`, its `conversion/` package and its own
`gguf-py`. pip downloads the sdist (an ordinary registry request, pinned); only those files are
kept, under build/ (git-ignored)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from webdlbench.paths import BUILD_DIR

PACKAGE = "llama-cpp-python"
VERSION = "0.3.36"  # the llama.cpp its converter comes from; recorded with every GGUF made
FOLDER = BUILD_DIR / "llama.cpp-convert"
SCRIPT = FOLDER / "convert_hf_to_gguf.py"
KEPT = ("convert_hf_to_gguf.py", "conversion/", "gguf-py/")
DOWNLOAD_TIMEOUT_S = 1200


def missing_reason() -> str:
    """'' when the converter is in place, else what to run."""
    if SCRIPT.is_file():
        return ""
    return f"llama.cpp's GGUF converter is not at {SCRIPT}: run `make setup` (or `python -m {__name__}`)"


def ensure() -> str:
    """Fetch the converter unless it is there; one line saying what was done."""
    if SCRIPT.is_file():
        return f"GGUF converter: kept {SCRIPT}"
    with tempfile.TemporaryDirectory(prefix="webdlbench-gguf-") as tmp:
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                               f"{PACKAGE}=={VERSION}", "-d", tmp], capture_output=True, text=True,
                              timeout=DOWNLOAD_TIMEOUT_S)
        archives = sorted(Path(tmp).glob("*.tar.gz"))
        if done.returncode != 0 or not archives:
            raise RuntimeError(f"pip download {PACKAGE}=={VERSION} failed: {done.stderr.strip()[-500:]}")
        FOLDER.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="llama.cpp-convert.", dir=FOLDER.parent))
        try:
            with tarfile.open(archives[0]) as archive:
                prefix = f"{archives[0].name[:-len('.tar.gz')]}/vendor/llama.cpp/"
                members = [m for m in archive.getmembers() if m.name.startswith(prefix)
                           and any(m.name[len(prefix):].startswith(k) for k in KEPT)]
                for member in members:
                    member.name = member.name[len(prefix):]
                archive.extractall(staging, members=members, filter="data")
            (staging / "VERSION").write_text(f"{PACKAGE} {VERSION}\n")
            shutil.rmtree(FOLDER, ignore_errors=True)
            staging.replace(FOLDER)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return f"GGUF converter: {SCRIPT} (from {PACKAGE} {VERSION})"


if __name__ == "__main__":
    print(ensure())
