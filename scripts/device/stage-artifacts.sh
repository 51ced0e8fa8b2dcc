#!/usr/bin/env bash
# Device call 3 (suites with converted models): copy the carried artifacts to /tmp/artifacts, which
# outlives this call on a warm machine; run-gpu.sh points WEBDLBENCH_ARTIFACTS there.
set -euo pipefail
mkdir -p /tmp/artifacts
cp -r .device-artifacts/. /tmp/artifacts/
ls /tmp/artifacts
