# e2e-rescan: LUNs added to and removed from an LIO target while logged in.
# `iscsi-init rescan -T IQN` makes a new LUN's /dev/sdX appear (and work),
# and a removed LUN's device go away while fio verify rounds run on LUN 0
# (0 errors). Then with the daemon running and no
# rescan command: LIO's unit attention REPORTED LUNS DATA HAS CHANGED makes
# the module scan (a new LUN appears by itself) and the daemon drop a
# removed LUN. dmesg and kmemleak clean.
kmemleak_start
dmesg_mark
IQN=iqn.2026-12.org.iscsi-init:rescan
lio_setup -t "$IQN" -l 2 -s 64 >/dev/null
disk0=$(ii_login "$IQN" 127.0.0.1:3260)
h=$(ii_host "$IQN")
lun_disk() { local b; for b in /sys/bus/scsi/devices/"$h":0:0:"$1"/block/*; do [ -e "$b" ] && echo "/dev/$(basename "$b")"; done; return 0; }
[ "$(ii_disks "$IQN" | wc -l)" = 2 ] || die "expected 2 disks at login: $(ii_disks "$IQN" | tr '\n' ' ')"
disk1=$(lun_disk 1)

# --- manual: add LUN 2, rescan (no I/O runs: no command meets LIO's unit
# attention first, which would make the module scan by itself)
lio_add_lun "$IQN" 2 32
out=$(ii rescan -T "$IQN")
log "rescan: $out"
echo "$out" | grep -q "added $h:0:0:2" || die "rescan did not add LUN 2: $out"
disk2=$(lun_disk 2)
[ -n "$disk2" ] || die "no block device for LUN 2"
fio --name=lun2 --filename="$disk2" --direct=1 --ioengine=libaio --rw=randwrite --bs=64k --iodepth=4 \
  --size=4m --verify=crc32c --verify_fatal=1 --do_verify=1 --output=/tmp/rescan-lun2.txt \
  || { cat /tmp/rescan-lun2.txt; die "fio on the new LUN failed"; }
grep -q "err= 0" /tmp/rescan-lun2.txt || { cat /tmp/rescan-lun2.txt; die "fio on the new LUN reported errors"; }
# --- manual: remove LUN 1 while fio runs on LUN 0, rescan
stop=/tmp/rescan.stop; rm -f "$stop"
fio_rounds "$disk0" "$stop" /tmp/rescan &
rounds=$!
sleep 2
lio_remove_lun "$IQN" 1
out=$(ii rescan --session "$(ii list --json | jq -r --arg t "$IQN" '.sessions[] | select(.target == $t) | .session_id')")
log "rescan: $out"
echo "$out" | grep -q "removed $h:0:0:1" || die "rescan did not remove LUN 1: $out"
[ ! -e "/sys/bus/scsi/devices/$h:0:0:1" ] || die "LUN 1's device is still there"
[ ! -e "$disk1" ] || [ "$(lun_disk 1)" = "" ] || die "$disk1 is still LUN 1's"
# A rescan with nothing changed changes nothing.
out=$(ii rescan --all)
echo "$out" | grep -q "no change" || die "second rescan: $out"
ii rescan --json -T "$IQN" | jq -e '.sessions[0].rescan.devices | length == 2' >/dev/null || die "rescan --json"

# --- automatic: the daemon and the module, on LIO's unit attention
dpid=$(ii_daemon)
lio_add_lun "$IQN" 3 32
# The next command to LUN 0 (fio runs) carries the unit attention.
wait_for "LUN 3 to appear by itself" 60 test -e "/sys/bus/scsi/devices/$h:0:0:3/block"
log "LUN 3 appeared without a rescan command: $(lun_disk 3)"
lio_remove_lun "$IQN" 2
# A command to LUN 0 gets the next unit attention; the daemon then drops LUN 2.
wait_for "the daemon to drop LUN 2" 60 test ! -e "/sys/bus/scsi/devices/$h:0:0:2"
grep -q "LUNs changed" /tmp/daemon.log || { cat /tmp/daemon.log; die "no rescan in the daemon's log"; }
log "daemon: $(grep "LUNs changed" /tmp/daemon.log | tail -1)"
touch "$stop"; wait "$rounds"
fio_rounds_check /tmp/rescan
# Only the removed LUNs' devices went: LUN 0 saw no I/O error.
if dmesg_new | grep -E "\[$(basename "$disk0")\].*(I/O error|critical)|I/O error, dev $(basename "$disk0")"; then die "I/O errors on LUN 0"; fi
kill "$dpid"; wait "$dpid" 2>/dev/null || true
ii logout -T "$IQN"
rmmod iscsi_init
kmemleak_check
dmesg_clean
