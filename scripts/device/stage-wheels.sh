#!/usr/bin/env bash
# Device call 2: install the carried wheels (Playwright) into /tmp/site, which outlives this call on a warm machine.
set -euo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .device-wheels/*.whl
PYTHONPATH=/tmp/site python3 -c "import playwright, greenlet; print('playwright staged')"
