#!/usr/bin/env bash
# Run every cargo-fuzz target of the project's fuzz crates for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [FUZZ_DIR...]
#
# SECONDS_PER_TARGET defaults to 60; FUZZ_DIR defaults to every fuzz crate:
# codec/fuzz (header decode, text keys) and kmod/core/fuzz (PDU sequences
# against the module's session core). Installs cargo-fuzz if missing;
# cargo-fuzz needs nightly features, unlocked on the stable toolchain with
# RUSTC_BOOTSTRAP=1. New inputs go to <dir>/target/fuzz-corpus/<target>, not
# to the committed seed corpus in <dir>/corpus/<target>. Exits non-zero if any
# target crashes; the crashing input is in <dir>/artifacts/<target>/.
# Environment: FUZZ_SANITIZER (default "none": the fuzzed crates have no
# unsafe code; "address" for ASan), FUZZ_JOBS (cargo build jobs, default 2).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
case $secs in '' | *[!0-9]*) echo "usage: $0 [seconds-per-target] [fuzz-dir...]" >&2; exit 2 ;; esac
shift $(($# > 0 ? 1 : 0))
dirs=("$@")
((${#dirs[@]})) || dirs=(codec/fuzz kmod/core/fuzz)

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "[fuzz] installing cargo-fuzz" >&2
  cargo install --locked cargo-fuzz
fi

export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS=${FUZZ_JOBS:-2}
san=${FUZZ_SANITIZER:-none}

failed=()
for d in "${dirs[@]}"; do
  cd "$repo/$d"
  targets=$(cargo fuzz list)
  echo "[fuzz] $d: building $(echo $targets)" >&2
  cargo fuzz build --sanitizer "$san"
  for t in $targets; do
    work=target/fuzz-corpus/$t
    mkdir -p "$work" "corpus/$t"
    echo "[fuzz] $d/$t for ${secs}s" >&2
    start=$SECONDS
    if ! cargo fuzz run --sanitizer "$san" "$t" "$work" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1; then
      failed+=("$d/$t")
    fi
    echo "[fuzz] $d/$t done in $((SECONDS - start))s" >&2
  done
done

if ((${#failed[@]})); then
  echo "[fuzz] FAILED: ${failed[*]} (see <dir>/artifacts/)" >&2
  exit 1
fi
echo "[fuzz] all targets ran ${secs}s without a crash" >&2
