#!/usr/bin/env bash
# What a real Selenium Grid on this machine needs (tests/grid, `--driver grid` against a local grid):
# a Java runtime for the selenium-server jar (npm `selenium-server`, in package.json) and a ChromeDriver
# matching the system Chromium. Installs Debian's default-jre-headless and chromium-driver when they are
# missing and we may (root with apt-get); otherwise says what to install. Safe to re-run.
set -euo pipefail
missing=()
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v chromedriver >/dev/null 2>&1 || [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "webdlbench setup: installing ${missing[*]} for the Selenium Grid tests (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "webdlbench setup: the Selenium Grid tests need ${missing[*]}; install them (e.g. sudo apt-get install -y ${missing[*]})" >&2
exit 2
