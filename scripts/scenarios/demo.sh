# demo (README's first command): an LIO target, a login, a filesystem on the
# iSCSI disk written and read back, the session listed, logout.
iqn=$(lio_setup -l 1 -s 128)
log "LIO target $iqn on 127.0.0.1:3260"
modprobe iscsi_tcp
mkdir -p /etc/iscsi /run/lock/iscsi /var/lib/iscsi
echo "InitiatorName=iqn.2026-11.org.iscsi-init:demo" >/etc/iscsi/initiatorname.iscsi
iscsid; sleep 1
iscsiadm -m discovery -t sendtargets -p 127.0.0.1:3260
iscsiadm -m node -T "$iqn" -p 127.0.0.1:3260 --login
sid=$(iscsiadm -m session | awk -v t="$iqn" '$4 == t { gsub(/[\[\]]/, "", $2); print $2 }')
host=$(basename "$(readlink -f /sys/class/iscsi_session/session"$sid"/device/..)" | sed 's/host//')
wait_for "the LUN scan" 30 test -n "$(disk_for_host "$host")"
disk=$(disk_for_host "$host" | sed -n 1p)
log "disk $disk"
mkfs.ext4 -q "$disk"
mkdir -p /mnt/demo && mount "$disk" /mnt/demo
cp -a "$REPO/scripts" "$REPO/Documentation" /mnt/demo/
(cd /mnt/demo && find . -type f -exec sha256sum {} + | sort -k2) >/tmp/sums
umount /mnt/demo; echo 3 >/proc/sys/vm/drop_caches; mount "$disk" /mnt/demo
(cd /mnt/demo && sha256sum -c --quiet /tmp/sums) || die "files differ after remount"
log "$(wc -l </tmp/sums) files written and read back identical"
umount /mnt/demo
iscsiadm -m session -P 1
iscsiadm -m node -T "$iqn" -p 127.0.0.1:3260 --logout
pkill -x iscsid
lio_teardown "$iqn"
dmesg_clean
