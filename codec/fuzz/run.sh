#!/usr/bin/env bash
# The codec's fuzz targets for a bounded time: scripts/fuzz.sh on codec/fuzz.
#
#   codec/fuzz/run.sh [SECONDS_PER_TARGET]     (default 60)
exec "$(dirname "$0")/../../scripts/fuzz.sh" "${1:-60}" codec/fuzz
