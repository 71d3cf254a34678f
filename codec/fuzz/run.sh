#!/usr/bin/env bash
# Run every cargo-fuzz target of the codec for a bounded time.
#
#   codec/fuzz/run.sh [SECONDS_PER_TARGET]     (default 60)
#
# Installs cargo-fuzz if missing. cargo-fuzz needs nightly features; with
# only a stable toolchain they are unlocked with RUSTC_BOOTSTRAP=1.
# New inputs go to target/fuzz-corpus/<target> (not to the committed seed
# corpus in corpus/<target>). Exits non-zero if any target crashes; the
# crashing input is in artifacts/<target>/.
# Environment: FUZZ_SANITIZER (default "none": the codec has no unsafe code,
# set "address" for ASan), FUZZ_JOBS (cargo build jobs, default 2).
set -euo pipefail

secs=${1:-60}
case $secs in '' | *[!0-9]*) echo "usage: $0 [seconds-per-target]" >&2; exit 2 ;; esac
cd "$(dirname "$0")"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "[fuzz] installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi

export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS=${FUZZ_JOBS:-2}
san=${FUZZ_SANITIZER:-none}

targets=$(cargo fuzz list)
cargo fuzz build --sanitizer "$san"

failed=()
for t in $targets; do
  work=target/fuzz-corpus/$t
  mkdir -p "$work" "corpus/$t"
  echo "[fuzz] $t for ${secs}s"
  if ! cargo fuzz run --sanitizer "$san" "$t" "$work" "corpus/$t" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1; then
    failed+=("$t")
  fi
done

if ((${#failed[@]})); then
  echo "[fuzz] FAILED: ${failed[*]} (see codec/fuzz/artifacts/)" >&2
  exit 1
fi
echo "[fuzz] all targets ran ${secs}s without a crash: ${targets//$'\n'/ }"
