# The fio jobs of scripts/bench.sh, sourced by the host side (to check
# BENCH_JOBS and estimate the run time) and by the guest side (to run them).
# One entry per job: its name, then its fio options. scripts/bench/table.py
# prints them in this order.
# shellcheck disable=SC2034  # used by the scripts that source this file
bench_jobs=(
  "4k-randread-qd1    --rw=randread  --bs=4k   --iodepth=1"
  "4k-randread-qd32   --rw=randread  --bs=4k   --iodepth=32"
  "4k-randwrite-qd1   --rw=randwrite --bs=4k   --iodepth=1"
  "4k-randwrite-qd32  --rw=randwrite --bs=4k   --iodepth=32"
  "128k-read-qd8      --rw=read      --bs=128k --iodepth=8"
  "128k-write-qd8     --rw=write     --bs=128k --iodepth=8"
  "1m-read-qd8        --rw=read      --bs=1m   --iodepth=8"
  "1m-write-qd8       --rw=write     --bs=1m   --iodepth=8"
)
# The scaling variant (--sessions N --luns M): one job, 4k random read at
# QD32 on every disk at once.
bench_scale_opts="--rw=randread --bs=4k --iodepth=32"
