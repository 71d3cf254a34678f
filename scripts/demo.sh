#!/usr/bin/env bash
# The main job: build what is needed, boot the debug test kernel, start an LIO
# target, log in with the iscsi-init helper (the module takes the socket), make
# a filesystem on the iSCSI disk, write and read it back, show
# `iscsi-init list`, and log out (scripts/scenarios/demo.sh).
set -euo pipefail
# cargo and bindgen live in ~/.cargo/bin (rustup, cargo install).
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export PATH="$HOME/.cargo/bin:$PATH"
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build -p iscsi-init
scripts/build-kernel.sh debug >/dev/null
make modules
scripts/qemu-test.sh --out out/demo demo
echo "--- what the guest did (out/demo/demo.log):"
cat out/demo/demo.log
