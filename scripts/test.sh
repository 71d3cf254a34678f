#!/usr/bin/env bash
# The project's test command (README: `make test`; CI: .ci/run).
#   1. setup (idempotent: installs only what is missing)
#   2. userland: cargo fmt --check, clippy -D warnings, cargo test (codec, ABI,
#      helper incl. tgtd tests, the module's session core)
#   3. fuzz targets of the codec and the module's session core, bounded time
#      each (FUZZ_SECONDS, default 60)
#   4. debug test kernel (cached) and the module
#   5. QEMU scenarios on the debug kernel (all of scripts/scenarios/)
set -euo pipefail
# cargo and bindgen live in ~/.cargo/bin (rustup, cargo install).
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export PATH="$HOME/.cargo/bin:$PATH"
cd "$(dirname "$0")/.."
step() { printf '\n==> %s (at %ss)\n' "$*" "$SECONDS"; }

step "setup"
scripts/setup.sh

step "userland checks: fmt, clippy, tests"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace 2>&1 | tee target/cargo-test.log
cargo build -p iscsi-init

step "fuzzing: codec and session core (${FUZZ_SECONDS:-60}s per target)"
scripts/fuzz.sh "${FUZZ_SECONDS:-60}"

step "debug test kernel"
scripts/build-kernel.sh debug >/dev/null

step "module"
make modules

step "QEMU scenarios"
scripts/qemu-test.sh --out out/test
