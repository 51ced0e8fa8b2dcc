#!/usr/bin/env bash
# Device call 3 (suites with converted models): copy the carried artifacts to /tmp/artifacts, which
# outlives this call on a warm machine; run-gpu.sh points WEBDLBENCH_ARTIFACTS there.
set -euo pipefail
# Called once per carried part (a model's TF.js files, or its PyTorch graph): each adds to /tmp/artifacts.
mkdir -p /tmp/artifacts
for tree in .device-artifacts .device-artifacts-torch; do
  [ -d "$tree" ] && cp -r "$tree/." /tmp/artifacts/
done
ls /tmp/artifacts/*
