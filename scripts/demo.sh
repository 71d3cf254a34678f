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
# timed WHAT CMD...: run CMD between a start line and an end line with its
# time, on stderr (the kernel build adds its own progress lines).
timed() {
  local what=$1 t=$SECONDS rc=0; shift
  printf '[demo] %s: started at %ss\n' "$what" "$SECONDS" >&2
  "$@" || rc=$?
  if ((rc)); then printf '[demo] %s: FAILED (exit %s) after %ss\n' "$what" "$rc" $((SECONDS - t)) >&2; exit "$rc"; fi
  printf '[demo] %s: done in %ss\n' "$what" $((SECONDS - t)) >&2
}
timed "setup" scripts/setup.sh
timed "cargo build (helper)" cargo build -p iscsi-init
timed "debug test kernel" scripts/build-kernel.sh debug >/dev/null
timed "module" make modules
timed "guest: demo scenario" scripts/qemu-test.sh --out out/demo demo
echo "--- what the guest did (out/demo/demo.log):"
cat out/demo/demo.log
