#!/usr/bin/env bash
# Benchmark: boots the release test kernel once and, against the same LIO
# ramdisk LUN, runs the same fio jobs through iscsi-init and through open-iscsi
# (iscsi_tcp), queue depths matched, plus iperf3 over guest loopback. Prints
# one table: IOPS, MiB/s, p50/p99 completion latency for both, and the ratio
# ours/open-iscsi. Measured, not pass/fail.
#
#   scripts/bench.sh [--runtime SECONDS] [--flavour release|debug]
#   BENCH_JOBS="4k-randread-qd32 1m-write-qd8" scripts/bench.sh   (a subset)
set -euo pipefail
# cargo and bindgen live in ~/.cargo/bin (rustup, cargo install).
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export PATH="$HOME/.cargo/bin:$PATH"
cd "$(dirname "$0")/.."
runtime=15 flavour=release
while (($#)); do
  case "$1" in
    --runtime) runtime=$2; shift 2;;
    --flavour) flavour=$2; shift 2;;
    *) echo "usage: $0 [--runtime SECONDS] [--flavour release|debug]" >&2; exit 2;;
  esac
done
scripts/setup.sh >/dev/null
cargo build --release -p iscsi-init
scripts/build-kernel.sh "$flavour" >/dev/null
make FLAVOUR="$flavour" modules
out=out/bench
mkdir -p "$out"
printf 'BENCH_RUNTIME=%q\nBENCH_JOBS=%q\nISCSI_INIT_BIN=%q\n' "$runtime" "${BENCH_JOBS:-}" "$PWD/target/release/iscsi-init" >"$out/bench.env"
scripts/qemu-test.sh --flavour "$flavour" --out "$out" --timeout 3000 \
  scripts/bench/guest-bench.sh || true
if [ -f "$out/bench-table.txt" ]; then
  cat "$out/bench-table.txt"
else
  echo "bench: no table produced; see $out/guest-bench.log" >&2
  exit 1
fi
