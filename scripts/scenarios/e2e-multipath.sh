# e2e-multipath: dm-multipath over two iscsi-init sessions to one LIO target
# through two portals (127.0.0.1:3260 and 127.0.0.2:3260), with
# Documentation/examples/multipath.conf and `--replacement-timeout 5`.
# - The second login takes its own ISID; both disks have the logical unit's
#   WWID, and multipathd builds one map with two paths.
# - fio verify rounds on /dev/mapper/WWID while (a) path 2's portal is
#   removed and its connection killed: I/O continues on path 1 within
#   replacement_timeout + 2 s (the longest gap of a 4k read probe), path 2
#   is failed, then reinstated once the portal is back and the daemon has
#   reconnected; (b) path 1's connection is killed 3 times (the daemon
#   recovers each before replacement_timeout). 0 fio errors.
# - With E2E_OPEN_ISCSI=1 (make compare), the same portal fault with
#   open-iscsi's sessions in the same boot: its failover time is printed
#   next to ours (RESULT line), and our VPD 0x83 pages are compared with
#   its disks'.
kmemleak_start
# multipath-tools take the paths' identity from udev (SCSI_IDENT_*, ID_WWN,
# ID_SERIAL from 55-scsi-sg3_id.rules and 60-persistent-storage.rules), as
# on any distribution: run udevd.
udev_start
trap 'rc=$?; if ((rc)); then echo "--- multipathd log"; tail -40 /tmp/multipathd.log; multipath -ll; fi' EXIT
IQN=iqn.2026-12.org.iscsi-init:mpath
RT=5
lio_setup -t "$IQN" -s 128 -a 127.0.0.1:3260 -a 127.0.0.2:3260 >/dev/null
tpg=$CFS/iscsi/$IQN/tpgt_1
mkdir -p /etc/multipath
cp "$REPO/Documentation/examples/multipath.conf" /etc/multipath.conf
grep -q '^iscsi_init ' /proc/modules || insmod "$ISCSI_INIT_KO"
ii login -T "$IQN" -p 127.0.0.1 --replacement-timeout "$RT" >&2
ii login -T "$IQN" -p 127.0.0.2 --replacement-timeout "$RT" >&2
udevadm settle -t 30
[ "$(ii list --json | jq --arg t "$IQN" '[.sessions[] | select(.target == $t) | .isid] | unique | length')" = 2 ] \
  || die "the two paths do not have two ISIDs: $(ii list)"
mapfile -t hosts < <(ii_hosts "$IQN")
[ "${#hosts[@]}" = 2 ] || die "expected 2 sessions, got ${#hosts[@]}"
wait_for "both disks" 30 bash -c "[ -n \"\$(ls /sys/bus/scsi/devices/${hosts[0]}:0:0:0/block 2>/dev/null)\" ] && [ -n \"\$(ls /sys/bus/scsi/devices/${hosts[1]}:0:0:0/block 2>/dev/null)\" ]"
p1=$(basename "$(disk_for_host "${hosts[0]}")"); p2=$(basename "$(disk_for_host "${hosts[1]}")")
[ "$(cat "/sys/class/scsi_host/host${hosts[1]}/iscsi_portal")" = 127.0.0.2:3260 ] || { t=$p1; p1=$p2; p2=$t; }
# The logical unit's identity (the designators multipath keys on) is the
# same on both paths; with E2E_OPEN_ISCSI=1 the whole page is compared with
# open-iscsi's below (it also names the target port, so it is compared per
# portal).
[ "$(cat "/sys/block/$p1/device/wwid")" = "$(cat "/sys/block/$p2/device/wwid")" ] || die "the two paths report different WWIDs"
cp "/sys/block/$p1/device/vpd_pg83" /tmp/vpd83.ours1
cp "/sys/block/$p2/device/vpd_pg83" /tmp/vpd83.ours2
log "paths: $p1 (127.0.0.1), $p2 (127.0.0.2), wwid $(cat "/sys/block/$p1/device/wwid")"

mpath_start() {
  multipathd -d -s >>/tmp/multipathd.log 2>&1 &
  wait_for "multipathd" 30 multipathd show daemon
  wait_for "a multipath map" 60 bash -c '[ -n "$(dmsetup ls --target multipath | grep -v "No devices")" ]'
  map=$(dmsetup ls --target multipath | awk '{ print $1; exit }')
}
# path_state DEV: "dm-state checker-state", e.g. "active ready"
path_state() { multipathd show paths raw format "%d %t %T" | awk -v d="$1" '$1 == d { print $2, $3 }'; }
both_active() { [ "$(path_state "$1")" = "active ready" ] && [ "$(path_state "$2")" = "active ready" ]; }
probe() { # MAP OUT STOP: a 4k direct read every 50 ms, its completion times
  : >"$2"
  while [ ! -e "$3" ]; do
    dd if="$1" of=/dev/null bs=4k count=1 iflag=direct skip=$((RANDOM % 8192)) status=none && echo "$EPOCHREALTIME" >>"$2"
    sleep 0.05
  done
}
max_gap() { awk -v from="$2" '$1 >= from { if (last != "" && $1 - last > m) m = $1 - last; last = $1 } END { printf "%.2f\n", m }' "$1"; }
# portal_fault DEV_OF_PATH2 PROBE_FILE: remove 127.0.0.2's portal, kill its
# connection, wait until the path is failed, put the portal back, wait until
# the path is reinstated; prints the longest I/O gap.
portal_fault() {
  local dev=$1 pf=$2 t0 gap
  t0=$EPOCHREALTIME
  rmdir "$tpg/np/127.0.0.2:3260"
  ss -K -t -n -H dst 127.0.0.2 dport = :3260 >/dev/null
  wait_for "path $dev to fail" 60 bash -c "multipathd show paths raw format '%d %t' | grep -q '^$dev failed'"
  sleep 4
  gap=$(max_gap "$pf" "$t0")
  mkdir "$tpg/np/127.0.0.2:3260"
  echo "$gap"
}
# failover WHO DEV1 DEV2: the portal fault under a read probe on the map;
# waits until DEV2 is reinstated; prints the longest I/O gap.
failover() {
  local who=$1 d1=$2 d2=$3 pstop=/tmp/probe-$1.stop pr g
  rm -f "$pstop"
  probe "/dev/mapper/$map" "/tmp/probe.$who" "$pstop" &
  pr=$!
  sleep 3
  g=$(portal_fault "$d2" "/tmp/probe.$who")
  log "$who: path 2's portal removed: longest I/O gap $g s (replacement_timeout $RT s)" >&2
  wait_for "$who's path 2 to be reinstated" 120 both_active "$d1" "$d2"
  log "$who: path 2 reinstated" >&2
  touch "$pstop"; wait "$pr"
  echo "$g"
}

mpath_start
log "map $map: $(multipath -ll "$map" | tr -s ' ' | tr '\n' '|')"
wait_for "both paths active" 60 both_active "$p1" "$p2"
dpid=$(ii_daemon)
mapdev=/dev/mapper/$map
stop=/tmp/mp.stop; rm -f "$stop"
fio_rounds "$mapdev" "$stop" /tmp/mp &
rounds=$!
gap=$(failover iscsi-init "$p1" "$p2")
probe "$mapdev" /tmp/probe.ours "$stop" &
pr=$!
for i in 1 2 3; do
  t0=$EPOCHREALTIME
  ss -K -t -n -H dst 127.0.0.1 dport = :3260 >/dev/null
  sleep 4
  log "iscsi-init: kill $i of path 1: longest I/O gap $(max_gap /tmp/probe.ours "$t0") s"
done
wait_for "both paths active after the kills" 60 both_active "$p1" "$p2"
touch "$stop"; wait "$rounds" "$pr"
fio_rounds_check /tmp/mp
(( $(echo "$gap <= $RT + 2" | bc) )) || die "failover took $gap s (want <= replacement_timeout + 2 = $((RT + 2)) s)"
ours=$gap
kill "$dpid"; wait "$dpid" 2>/dev/null || true
pkill -x multipathd; sleep 1
multipath -F >/dev/null 2>&1 || dmsetup remove_all
ii logout -T "$IQN" >/dev/null

# --- open-iscsi, the same setup and the same fault (E2E_OPEN_ISCSI=1, make
# compare): the anchor figure, and our VPD 0x83 pages against its disks'
if [ "${E2E_OPEN_ISCSI:-0}" != 1 ]; then
  log "open-iscsi comparison skipped (E2E_OPEN_ISCSI=1, or make compare, runs it)"
else
  modprobe iscsi_tcp
  mkdir -p /etc/iscsi /run/lock/iscsi /var/lib/iscsi
  [ -f /etc/iscsi/initiatorname.iscsi ] || echo "InitiatorName=iqn.2026-11.org.iscsi-init:open-iscsi" >/etc/iscsi/initiatorname.iscsi
  pgrep -x iscsid >/dev/null || { iscsid; sleep 1; }
  iscsiadm -m discovery -t sendtargets -p 127.0.0.1 >/dev/null
  for p in 127.0.0.1:3260 127.0.0.2:3260; do
    iscsiadm -m node -T "$IQN" -p "$p" -o update -n node.session.timeo.replacement_timeout -v "$RT"
    iscsiadm -m node -T "$IQN" -p "$p" -o update -n node.session.iscsi.DefaultTime2Retain -v 20
    iscsiadm -m node -T "$IQN" -p "$p" --login >/dev/null
  done
  oi_disk_of() { # PORTAL
    local s
    for s in /sys/class/iscsi_session/session*; do
      [ "$(cat "$s"/device/connection*/iscsi_connection/*/persistent_address 2>/dev/null)" = "${1%:*}" ] || continue
      disk_for_host "$(basename "$(readlink -f "$s/device/..")" | sed 's/host//')"
    done
  }
  wait_for "open-iscsi's two disks" 30 bash -c 'for s in /sys/class/iscsi_session/session*; do h=$(basename "$(readlink -f "$s/device/..")" | sed s/host//); ls /sys/bus/scsi/devices/$h:0:0:0/block >/dev/null 2>&1 || exit 1; done; [ $(ls -d /sys/class/iscsi_session/session* | wc -l) = 2 ]'
  udevadm settle -t 30
  o1=$(basename "$(oi_disk_of 127.0.0.1:3260)"); o2=$(basename "$(oi_disk_of 127.0.0.2:3260)")
  [ -n "$o1" ] && [ -n "$o2" ] || die "open-iscsi disks: '$o1' '$o2'"
  cmp /tmp/vpd83.ours1 "/sys/block/$o1/device/vpd_pg83" || die "our VPD 0x83 (path 1) differs from open-iscsi's"
  cmp /tmp/vpd83.ours2 "/sys/block/$o2/device/vpd_pg83" || die "our VPD 0x83 (path 2) differs from open-iscsi's"
  mpath_start
  wait_for "both open-iscsi paths active" 60 both_active "$o1" "$o2"
  theirs=$(failover open-iscsi "$o1" "$o2")
  log "RESULT multipath failover (portal removed, replacement_timeout $RT s): iscsi-init $ours s, open-iscsi $theirs s"
  pkill -x multipathd; sleep 1
  multipath -F >/dev/null 2>&1 || dmsetup remove_all
  iscsiadm -m node --logoutall=all >/dev/null
fi
udev_stop
pkill -x iscsid || true
rmmod iscsi_init
kmemleak_check
dmesg_clean
