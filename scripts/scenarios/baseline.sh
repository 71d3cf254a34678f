# baseline: open-iscsi (iscsid + iscsiadm, iscsi_tcp) discovers and logs in to
# the in-guest LIO target, writes random data to the disk, reads it back,
# compares, and logs out. Proves the harness and the target; the reference for
# later comparisons.
iqn=$(lio_setup -l 1 -s 64 -c "" )
log "LIO target $iqn on 127.0.0.1:3260"

modprobe iscsi_tcp
mkdir -p /etc/iscsi /run/lock/iscsi /var/lib/iscsi
echo "InitiatorName=iqn.2026-11.org.iscsi-init:baseline" >/etc/iscsi/initiatorname.iscsi
iscsid
sleep 1

iscsiadm -m discovery -t sendtargets -p 127.0.0.1:3260 | tee /tmp/disc
grep -q "127.0.0.1:3260,1 $iqn" /tmp/disc || die "discovery did not list $iqn"
iscsiadm -m node -T "$iqn" -p 127.0.0.1:3260 --login

sid=$(iscsiadm -m session | awk -v t="$iqn" '$4 == t { gsub(/[\[\]]/, "", $2); print $2 }')
[ -n "$sid" ] || die "no open-iscsi session"
host=$(basename "$(readlink -f /sys/class/iscsi_session/session"$sid"/device/..)" | sed 's/host//')
wait_for "the LUN scan" 30 eval 'test -n "$(disk_for_host "$host")"'
disk=$(disk_for_host "$host" | sed -n 1p)
log "open-iscsi session $sid on host$host: $disk ($(blockdev --getsize64 "$disk") bytes)"

dd if=/dev/urandom of=/tmp/pattern bs=1M count=16 status=none
dd if=/tmp/pattern of="$disk" bs=1M oflag=direct status=none
echo 3 >/proc/sys/vm/drop_caches
dd if="$disk" of=/tmp/readback bs=1M count=16 iflag=direct status=none
cmp /tmp/pattern /tmp/readback || die "data read back differs from data written"
log "16 MiB written and read back identical"

iscsiadm -m node -T "$iqn" -p 127.0.0.1:3260 --logout
[ -z "$(iscsiadm -m session 2>/dev/null)" ] || die "session still listed after logout"
pkill -x iscsid
lio_teardown "$iqn"
dmesg_clean
log "baseline OK"
