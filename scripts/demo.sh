#!/usr/bin/env bash
# The main job: build what is needed, boot the debug test kernel, start an LIO
# target, log in, make a filesystem on the iSCSI disk, write and read it back,
# and log out (scripts/scenarios/demo.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build -p iscsi-init
scripts/build-kernel.sh debug >/dev/null
make modules
exec scripts/qemu-test.sh --out out/demo demo
