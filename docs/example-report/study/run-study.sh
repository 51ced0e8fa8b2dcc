#!/bin/sh
# Runs the example report's study: the parts named (default: all seven, in this order) one after
# another into one store, each timed, then the survey and the report. Six parts are this folder's
# trimmed paper suites; `web-ai` is the built-in suite, whole (~3 hours on 2 cores). Re-running
# continues: a part already begun is resumed (`--resume`), so a stopped study loses at most the spec
# in flight.
#   docs/example-report/study/run-study.sh [PART...]      (from the repository root, after `make setup`)
# STORE, CACHE and OUT choose where the store, the model cache and the report go.
set -eu
here=$(dirname "$0")
STORE=${STORE:-results/study.sqlite}
CACHE=${CACHE:-results/study-cache}
OUT=${OUT:-results/study-report}
parts=${*:-"inference training gap-dnn pretrained web-ai gap-rnn gap-cnn"}
for part in $parts; do
    started=$(date +%s)
    suite="$here/study-$part.toml"
    [ "$part" = web-ai ] && suite=web-ai
    .venv/bin/webdlbench run --resume "$suite" --store "$STORE" --cache "$CACHE"
    echo "$part: $(( ($(date +%s) - started) / 60 )) min" >&2
done
.venv/bin/webdlbench survey --store "$STORE"
.venv/bin/webdlbench report --store "$STORE" --out "$OUT"
