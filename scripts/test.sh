#!/usr/bin/env bash
# The project's test command (README: `make test`; CI: .ci/run).
#   1. setup (idempotent: installs only what is missing)
#   2. userland: cargo fmt --check, clippy -D warnings, cargo test (codec, ABI,
#      helper incl. tgtd tests, the module's session core), and the unit
#      tests of the benchmark's table and goal verdicts (scripts/bench/test_*.py)
#   3. fuzz targets of the codec and the module's session core, bounded time
#      each (FUZZ_SECONDS, default 30)
#   4. debug test kernel (cached) and the module, by make and by DKMS
#      (scripts/test-dkms.sh: dkms add/build/install in a scratch tree)
#   5. QEMU scenarios on the debug kernel (all of scripts/scenarios/), then
#      the same harness from a copy of the repository under /tmp with a space
#      in its path (scripts/test-checkout-path.sh)
# The packaging checks (make install layout, man pages, completions, .deb
# file lists: scripts/test-packaging.sh) run with the userland tests.
# Progress goes to stderr: each step and each long command starts and ends
# with a line giving its time; the kernel build reports objects done.
set -euo pipefail
# cargo and bindgen live in ~/.cargo/bin (rustup, cargo install).
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export PATH="$HOME/.cargo/bin:$PATH"
cd "$(dirname "$0")/.."
step() { printf '\n==> %s (at %ss)\n' "$*" "$SECONDS" >&2; }
# timed WHAT CMD...: run CMD between a start line and an end line with its time.
timed() {
  local what=$1 t=$SECONDS rc=0; shift
  printf '[test] %s: started at %ss\n' "$what" "$SECONDS" >&2
  "$@" || rc=$?
  if ((rc)); then printf '[test] %s: FAILED (exit %s) after %ss\n' "$what" "$rc" $((SECONDS - t)) >&2; exit "$rc"; fi
  printf '[test] %s: done in %ss\n' "$what" $((SECONDS - t)) >&2
}
cargo_tests() { cargo test --workspace 2>&1 | tee target/cargo-test.log; }

step "setup"
timed "setup" scripts/setup.sh

step "userland checks: fmt, clippy, tests, packaging"
timed "cargo fmt --check" cargo fmt --all --check
timed "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
timed "cargo test" cargo_tests
timed "bench table tests" python3 -B -m unittest discover -s scripts/bench -p 'test_*.py'
timed "cargo build (helper)" cargo build -p iscsi-init
timed "packaging: install layout, man pages, completions, .deb" scripts/test-packaging.sh

step "fuzzing: codec and session core (${FUZZ_SECONDS:-30}s per target)"
timed "fuzzing" scripts/fuzz.sh "${FUZZ_SECONDS:-30}"

step "debug test kernel"
timed "debug test kernel" scripts/build-kernel.sh debug >/dev/null

step "module"
timed "module" make modules
timed "dkms add, build, install against the debug kernel" scripts/test-dkms.sh

step "QEMU scenarios"
timed "QEMU scenarios" scripts/qemu-test.sh --out out/test
timed "checkout under /tmp with a space in the path" scripts/test-checkout-path.sh
