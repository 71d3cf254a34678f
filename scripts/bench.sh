#!/usr/bin/env bash
# Benchmark: boots the test kernel (release by default) once, logs in to the
# same LIO ramdisk LUN(s) with both initiators at the same time, iscsi-init
# (ours) and open-iscsi (iscsi_tcp, theirs), and runs the same fio jobs
# through each, queue depths matched, REPS times in interleaved order (rep 1
# ours then theirs, rep 2 theirs then ours, ...); then iperf3 over guest
# loopback. Prints one table: per job and initiator the median over the reps
# of IOPS, MiB/s, p50/p99/p99.9 total latency (µs), mean submission latency
# and guest CPU µs per I/O, the IOPS spread, and the ratios ours/open-iscsi
# (a "~" marks a ratio whose two min..max ranges overlap: within noise); with
# --perf, where the guest's time went per I/O; then the goals of issue 9
# that apply and whether the ratios meet them. Measured, not pass/fail.
# The table lands in out/bench/bench-table.txt, the medians and ratios in
# out/bench/bench.json. --boots N repeats the whole run in N boots
# (out/bench/boot-K) and sums them up in out/bench/bench-boots.txt.
# --ab SETTING compares one of our settings with our defaults instead, in
# one boot, without open-iscsi (see usage below).
# Documentation/performance.rst explains the columns.
#
#   scripts/bench.sh [--runtime SECONDS] [--reps N] [--boots N] [--flavour release|debug]
#                    [--digests] [--sessions N --luns M] [--tx work|thread|inline]
#                    [--rx-depth N] [--rx-lowat 0|1] [--tx-highpri 0|1] [--perf]
#                    [--ab param/NAME=VALUE|queue/NAME=VALUE] [--fio-cpu none|apart|N]
#   BENCH_JOBS="4k-randread-qd32 1m-write-qd8" scripts/bench.sh   (a subset)
#
# Guest time of the default run (8 jobs x 2 initiators x 3 reps x 10 s),
# under TCG on the project's 2-core machine, estimated (the same sum as
# estimate() below; the fio runtime is exact, the other figures are
# generous allowances, not measurements):
#   48 fio runs x (10 s + 3 s for fio's start, exit and JSON)   624 s
#   boot to the first scenario, LIO, insmod, iscsid, 2 logins     60 s
#   filling the 1 GiB LUN once (dd, 1 MiB direct writes)          60 s
#   iperf3 (10 s and its start), the table, logout, power-off     22 s
#   total                                                        766 s = about 12 min 46 s
# which is within the 25 minutes allowed for it. --digests costs the same
# guest time (fio runs are time-based); --sessions N adds about 6 s per
# session beyond the first, for the logins.
set -euo pipefail
# cargo and bindgen live in ~/.cargo/bin (rustup, cargo install).
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export PATH="$HOME/.cargo/bin:$PATH"
cd "$(dirname "$0")/.."
usage() { # [EXIT_STATUS]: 2 (bad arguments) unless told
  cat >&2 <<USAGE
usage: $0 [--runtime SECONDS] [--reps N] [--boots N] [--flavour release|debug] [--digests]
          [--sessions N --luns M] [--tx work|thread|inline] [--rx-depth N]
          [--rx-lowat 0|1] [--tx-highpri 0|1] [--perf]
          [--ab param/NAME=VALUE|queue/NAME=VALUE] [--fio-cpu none|apart|N]
  --runtime SECONDS  length of each fio run (default 10)
  --reps N           runs of each job per initiator, interleaved (default 3)
  --boots N          the whole run in N guest boots (default 1, at most 10),
                     each in out/bench/boot-K; then each boot's ratios and
                     their median over the boots, on which the goals are
                     judged (out/bench/bench-boots.txt): ratios move more from
                     one boot to the next than between the reps of one boot
  --flavour F        test kernel: release (default) or debug
  --digests          HeaderDigest and DataDigest CRC32C on both initiators
  --sessions N       scaling variant: N targets (default 1), one session to each per
  --luns M           initiator, M LUNs each (default 1); one fio run of 4k randread
                     QD32 on every disk at once
  --tx MODE          how our module sends: work (default, the module's default:
                     at queue depth 1 a work item on the submitting CPU sends,
                     else the transmit thread), thread (loaded with tx_work=0:
                     every command through the transmit thread) or inline (loaded
                     with tx_inline=1: queuecommand sends at queue depth 1), to
                     compare them against the same open-iscsi baseline
  --rx-depth N       our module loaded with rx_thread_depth=N: from N commands
                     outstanding on a session its receive thread reads, below
                     that the socket's data_ready callback; 0: always the
                     callback (default: the module's default, 2)
  --rx-lowat 0|1     our module loaded with rx_lowat=0 or 1: 1 sets the socket's
                     receive low-water mark to what the PDU being received still
                     needs (default: the module's default)
  --tx-highpri 0|1   our module loaded with tx_highpri=0 or 1: 1 makes the
                     transmit work item's workqueue WQ_HIGHPRI (default: the
                     module's default, 0)
  --perf             after the timed reps, one more run of each job per initiator
                     under a system-wide perf record (not in the table); the
                     profiles land in out/bench/perf-WHO-JOB.txt (by command,
                     by module, by both, by symbol; spin lock waits by caller)
                     and the table ends with the time per I/O by command
  --ab SETTING       A/B of one of our settings in one boot, instead of against
                     open-iscsi (which does not log in): each job runs REPS times
                     on our disks as the boot found them (side a, "ours-a") and
                     REPS times with SETTING (side b, "ours-b"), interleaved;
                     the ratios are b / a and no goal is judged. SETTING is
                     param/NAME=VALUE, a module parameter read while the module
                     runs (e.g. param/tx_work=0, param/rx_lowat=0), or
                     queue/NAME=VALUE, a block queue attribute of our disks
                     (e.g. queue/rq_affinity=0). Boot-to-boot noise (up to 0.3
                     on a ratio) hides what a setting changes when the A and B
                     runs are in different boots; here they are not. With the
                     setting's own default as VALUE (an A/A run) the ratios
                     show the noise floor. Not with --perf.
  --fio-cpu WHERE    where fio's jobs run: none (default: where the scheduler
                     puts them), apart (pinned to the first vCPU that LIO's
                     connection threads are not pinned to: the target on one
                     vCPU, the application on another, as with a target on
                     another host) or N (pinned to vCPU N). LIO pins each
                     connection's threads to one vCPU; whether fio shares it
                     moves QD1 IOPS by up to 1.75x for both initiators alike
                     (Documentation/performance.rst, "Where fio runs")
  BENCH_JOBS="NAME..." runs a subset of the jobs (not with --sessions/--luns):
USAGE
  local j
  for j in "${bench_jobs[@]}"; do echo "                     ${j%% *}" >&2; done
  exit "${1:-2}"
}
# shellcheck source=bench/jobs.sh
. scripts/bench/jobs.sh
posint() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }
runtime=10 reps=3 boots=1 flavour=release digests=0 sessions="" luns="" tx=work rx_depth= rx_lowat= tx_highpri= perf=0 ab= fio_cpu=none
while (($#)); do
  case "$1" in
    --runtime) (($# >= 2)) && posint "$2" || usage; runtime=$2; shift 2;;
    --reps) (($# >= 2)) && posint "$2" || usage; reps=$2; shift 2;;
    --boots) (($# >= 2)) && posint "$2" && (($2 <= 10)) || usage; boots=$2; shift 2;;
    --flavour) (($# >= 2)) && [[ "$2" == release || "$2" == debug ]] || usage; flavour=$2; shift 2;;
    --digests) digests=1; shift;;
    --sessions) (($# >= 2)) && posint "$2" || usage; sessions=$2; shift 2;;
    --luns) (($# >= 2)) && posint "$2" || usage; luns=$2; shift 2;;
    --tx) (($# >= 2)) && [[ "$2" == work || "$2" == inline || "$2" == thread ]] || usage; tx=$2; shift 2;;
    --rx-depth) (($# >= 2)) && [[ "$2" =~ ^(0|[1-9][0-9]{0,3})$ ]] || usage; rx_depth=$2; shift 2;;
    --rx-lowat) (($# >= 2)) && [[ "$2" == 0 || "$2" == 1 ]] || usage; rx_lowat=$2; shift 2;;
    --tx-highpri) (($# >= 2)) && [[ "$2" == 0 || "$2" == 1 ]] || usage; tx_highpri=$2; shift 2;;
    --perf) perf=1; shift;;
    --ab) (($# >= 2)) && [[ "$2" =~ ^(param|queue)/[a-z0-9_]+=[A-Za-z0-9_.-]+$ ]] || usage; ab=$2; shift 2;;
    --fio-cpu) (($# >= 2)) && [[ "$2" =~ ^(none|apart|0|[1-9][0-9]{0,2})$ ]] || usage; fio_cpu=$2; shift 2;;
    -h|--help) usage 0;;
    *) echo "bench: unknown argument $1" >&2; usage;;
  esac
done
[ -z "$ab" ] || ((!perf)) || { echo "bench: --ab does not go with --perf" >&2; usage; }
scale=0
if [ -n "$sessions$luns" ]; then
  scale=1 sessions=${sessions:-1} luns=${luns:-1}
  ((sessions * luns <= 32)) || { echo "bench: at most 32 disks per initiator (--sessions x --luns)" >&2; usage; }
  [ -z "${BENCH_JOBS:-}" ] || { echo "bench: BENCH_JOBS does not apply to the scaling variant" >&2; usage; }
else
  sessions=1 luns=1
fi
njobs=${#bench_jobs[@]}
if [ -n "${BENCH_JOBS:-}" ]; then
  njobs=0
  for name in $BENCH_JOBS; do
    found=0
    for j in "${bench_jobs[@]}"; do [ "${j%% *}" = "$name" ] && found=1; done
    ((found)) || { echo "bench: no job $name in BENCH_JOBS" >&2; usage; }
    njobs=$((njobs + 1))
  done
fi
((scale)) && njobs=1
# The guest time the run should take, in seconds (see the top of this file).
# --perf adds one run per job and initiator and perf report's time: 17.5 s
# each at a runtime of 10 s, measured on 6 December 2026 (allowed: 10 s).
estimate() {
  echo $(( njobs * 2 * reps * (runtime + 3) + 60 + 6 * (sessions - 1) + 60 + 22 + perf * njobs * 2 * (runtime + 10) ))
}
est=$(estimate)
echo "bench: $njobs job$( ((njobs == 1)) || echo s) x 2 $( [ -z "$ab" ] && echo initiators || echo sides) x $reps reps x ${runtime}s$( ((boots == 1)) || echo " in each of $boots boots"); about $((boots * est / 60)) min $((boots * est % 60)) s of guest time" >&2
scripts/setup.sh >/dev/null
cargo build --release -p iscsi-init
scripts/build-kernel.sh "$flavour" >/dev/null
make FLAVOUR="$flavour" modules
# Removes the results of an earlier run from DIR: they must not be counted
# as this run's (table.py reads every fio-*.json and cpu-*.txt there).
clear_results() {
  rm -f "$1"/fio-*.json "$1"/cpu-*.txt "$1"/iperf3.json "$1"/bench-run.txt \
    "$1"/bench-table.txt "$1"/bench.json "$1"/perf-*.txt "$1"/perf-fio-*.json \
    "$1"/switches-*.txt
}
# One boot of the guest, its files in DIR. Returns 1 when the boot left no
# table.
run_boot() {
  local dir=$1
  mkdir -p "$dir"
  clear_results "$dir"
  printf 'BENCH_RUNTIME=%q\nBENCH_REPS=%q\nBENCH_DIGESTS=%q\nBENCH_SCALE=%q\nBENCH_SESSIONS=%q\nBENCH_LUNS=%q\nBENCH_JOBS=%q\nBENCH_TX=%q\nBENCH_RX_DEPTH=%q\nBENCH_RX_LOWAT=%q\nBENCH_TX_HIGHPRI=%q\nBENCH_PERF=%q\nBENCH_AB=%q\nBENCH_FIO_CPU=%q\nISCSI_INIT_BIN=%q\n' \
    "$runtime" "$reps" "$digests" "$scale" "$sessions" "$luns" "${BENCH_JOBS:-}" "$tx" "$rx_depth" "$rx_lowat" "$tx_highpri" "$perf" "$ab" "$fio_cpu" "$PWD/target/release/iscsi-init" \
    >"$dir/bench.env"
  # The guest's limit for the run: twice the estimate, at least 25 minutes.
  local limit=$((2 * est)); ((limit >= 1500)) || limit=1500
  scripts/qemu-test.sh --flavour "$flavour" --mem 6144 --out "$dir" --timeout "$limit" \
    scripts/bench/guest-bench.sh || true
  if [ -f "$dir/bench-table.txt" ]; then
    cat "$dir/bench-table.txt"
    echo "bench: table in $dir/bench-table.txt, figures in $dir/bench.json" >&2
  else
    echo "bench: no table produced; see $dir/guest-bench.log" >&2
    return 1
  fi
}
out=out/bench
if ((boots == 1)); then
  rm -rf "$out"/boot-[0-9]* "$out"/bench-boots.txt "$out"/bench-boots.json
  run_boot "$out"
  exit
fi
# --boots N: each boot in out/bench/boot-K, then the summary over them.
rm -rf "$out"/boot-[0-9]* "$out"/bench-boots.txt "$out"/bench-boots.json
clear_results "$out"
dirs=()
for k in $(seq 1 "$boots"); do
  echo "bench: boot $k of $boots" >&2
  if run_boot "$out/boot-$k"; then dirs+=("$out/boot-$k"); fi
done
((${#dirs[@]})) || { echo "bench: no boot produced a table" >&2; exit 1; }
python3 scripts/bench/table.py --boots "${dirs[@]}" --json "$out/bench-boots.json" >"$out/bench-boots.txt"
echo
cat "$out/bench-boots.txt"
echo "bench: summary over ${#dirs[@]} of $boots boots in $out/bench-boots.txt, figures in $out/bench-boots.json" >&2
((${#dirs[@]} == boots)) || exit 1
