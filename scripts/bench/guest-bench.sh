# Guest side of scripts/bench.sh (runs as a qemu-test.sh scenario).
runtime=${BENCH_RUNTIME:-15}
# Values from scripts/bench.sh come through the guest environment file.
[ -f /out/bench.env ] && . /out/bench.env
iqn=$(lio_setup -l 1 -s 1024)
jobs=(
  "4k-randread-qd1    --rw=randread  --bs=4k   --iodepth=1"
  "4k-randread-qd32   --rw=randread  --bs=4k   --iodepth=32"
  "4k-randwrite-qd1   --rw=randwrite --bs=4k   --iodepth=1"
  "4k-randwrite-qd32  --rw=randwrite --bs=4k   --iodepth=32"
  "128k-read-qd8      --rw=read      --bs=128k --iodepth=8"
  "128k-write-qd8     --rw=write     --bs=128k --iodepth=8"
  "1m-read-qd8        --rw=read      --bs=1m   --iodepth=8"
  "1m-write-qd8       --rw=write     --bs=1m   --iodepth=8"
)
run_jobs() { # initiator disk
  local who=$1 disk=$2 j name
  # Fill the LUN once so reads hit allocated ramdisk pages for both.
  dd if=/dev/zero of="$disk" bs=1M count=1024 oflag=direct status=none || true
  for j in "${jobs[@]}"; do
    name=${j%% *}
    # BENCH_JOBS (space-separated names) selects a subset.
    [ -z "${BENCH_JOBS:-}" ] || [[ " $BENCH_JOBS " == *" $name "* ]] || continue
    # shellcheck disable=SC2086
    fio --name="$name" --filename="$disk" --direct=1 --ioengine=libaio ${j#* } \
      --time_based --runtime="$runtime" --ramp_time=2 --size=1g --group_reporting \
      --output-format=json --output="/out/fio-$who-$name.json" >/dev/null
    log "$who $name done"
  done
}

# --- iscsi-init
insmod "$ISCSI_INIT_KO"
disk=$(ii_login "$iqn" 127.0.0.1:3260)
log "iscsi-init disk $disk"
run_jobs iscsi-init "$disk"
ii logout --all

# --- open-iscsi
modprobe iscsi_tcp
mkdir -p /etc/iscsi /run/lock/iscsi /var/lib/iscsi
echo "InitiatorName=iqn.2026-11.org.iscsi-init:bench" >/etc/iscsi/initiatorname.iscsi
iscsid; sleep 1
iscsiadm -m discovery -t sendtargets -p 127.0.0.1:3260 >/dev/null
iscsiadm -m node -T "$iqn" -p 127.0.0.1:3260 --login >/dev/null
sid=$(iscsiadm -m session | awk -v t="$iqn" '$4 == t { gsub(/[\[\]]/, "", $2); print $2 }')
host=$(basename "$(readlink -f /sys/class/iscsi_session/session"$sid"/device/..)" | sed 's/host//')
wait_for "the LUN scan" 30 test -n "$(disk_for_host "$host")"
disk=$(disk_for_host "$host" | sed -n 1p)
log "open-iscsi disk $disk"
run_jobs open-iscsi "$disk"
iscsiadm -m node -T "$iqn" -p 127.0.0.1:3260 --logout >/dev/null
pkill -x iscsid

# --- iperf3 over loopback
iperf3 -s -D -1 -B 127.0.0.1 >/dev/null; sleep 1
iperf3 -c 127.0.0.1 -t 10 -J >/out/iperf3.json || true

python3 "$REPO/scripts/bench/table.py" /out >/out/bench-table.txt
cat /out/bench-table.txt
