#!/usr/bin/env bash
# Re-create codec/tests/data/lio-*.txt: boot the debug test kernel, set up an
# LIO target in the guest (LUN 1 = 1 MiB ramdisk), run iscsi_capture.py against
# it there, and copy the records out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=$repo/out/capture-lio
"$repo/scripts/qemu-test.sh" --out "$out" "$here/lio-guest.sh"
cp "$out"/lio-*.txt "$here/../data/"
echo "updated: $(cd "$here/../data" && ls lio-*.txt | tr '\n' ' ')"
