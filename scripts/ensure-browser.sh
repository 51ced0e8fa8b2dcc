#!/usr/bin/env bash
# Make sure a Chromium is installed: the system's, never one downloaded by a test tool.
# Installs Debian's chromium when none is found and we may (root with apt-get).
set -euo pipefail
for candidate in "${WEBDLBENCH_BROWSER:-}" chromium chromium-browser google-chrome google-chrome-stable; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
    exit 0
  fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "webdlbench setup: no Chromium found; installing Debian's chromium (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "webdlbench setup: no Chromium found; install it (e.g. sudo apt-get install -y chromium) or set WEBDLBENCH_BROWSER=/path/to/chromium" >&2
exit 2
