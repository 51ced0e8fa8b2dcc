#!/usr/bin/env bash
# Device call 3 (suites with converted models): copy the carried artifacts to /tmp/artifacts, which
# outlives this call on a warm machine; run-gpu.sh points WEBDLBENCH_ARTIFACTS there.
set -euo pipefail
# Called once per carried part (a model's TF.js files, its PyTorch graph, its ONNX file): each adds to /tmp/artifacts.
mkdir -p /tmp/artifacts
for tree in .device-artifacts .device-artifacts-torch .device-artifacts-onnx; do
  [ -d "$tree" ] && cp -r "$tree/." /tmp/artifacts/
done
ls /tmp/artifacts/*
