# e2e-recovery-outage: target outages against LIO.
# 1. Short outage: the TPG is disabled for 20 s during fio verify rounds,
#    then enabled again: 0 I/O errors, 0 verify errors; the daemon's retries
#    bring the session back soon after the target returns.
# 2. Outage longer than replacement_timeout (set to 10 s in sysfs): fio gets
#    EIO within 15 s, no hung task; once the target is back the daemon
#    reconnects and a new fio verify on the same /dev/sdX passes.
# 3. No daemon: I/O is held, then fails after replacement_timeout; a manual
#    `iscsi-init login` recovers the session and the disk works again.
# With E2E_OPEN_ISCSI=1 (make compare), the short outage is repeated against
# open-iscsi in the same boot.
kmemleak_start
OUTAGE=${E2E_OUTAGE_SECONDS:-20}
iqn=$(lio_setup -l 1 -s 128)
disk=$(ii_login "$iqn" 127.0.0.1:3260)
h=$(ii_host "$iqn")
sysh=/sys/class/scsi_host/host$h
dpid=$(ii_daemon)

# Waits (up to $2 s) for recovery number $1; prints the seconds since $3
# ($EPOCHREALTIME). Polls every 20 ms without starting a process, so that
# the poll adds little to what it measures (open-iscsi's below likewise).
wait_rec() {
  local want=$1 secs=$2 t0=$3 end=$((SECONDS + $2)) n st
  until read -r n <"$sysh/iscsi_recoveries" && ((n >= want)) &&
    read -r st <"$sysh/iscsi_state" && [ "$st" = logged_in ]; do
    ((SECONDS < end)) || die "no recovery within $secs s"
    sleep 0.02
  done
  echo "$EPOCHREALTIME - $t0" | bc
}

# 1. Short outage.
stop=/tmp/rounds.stop; rm -f "$stop"
fio_rounds "$disk" "$stop" /tmp/short &
rounds=$!
sleep 3
rec=$(cat "$sysh/iscsi_recoveries")
lio_disable "$iqn"; log "TPG disabled for $OUTAGE s"
sleep 5
[ "$(cat "$sysh/iscsi_io_state")" = holding ] || die "I/O is not held during the outage ($(cat "$sysh/iscsi_io_state"))"
sleep $((OUTAGE - 5))
lio_enable "$iqn"; t_en=$EPOCHREALTIME; log "TPG enabled"
back=$(wait_rec $((rec + 1)) 60 "$t_en")
touch "$stop"; wait "$rounds"
fio_rounds_check /tmp/short
log "short outage: session back $back s after the TPG was enabled"
grep "session 1:" /tmp/daemon.log | tail -n 4

# 2. Outage longer than replacement_timeout.
echo 10 >"$sysh/iscsi_replacement_timeout"
[ "$(cat "$sysh/iscsi_replacement_timeout")" = 10 ] || die "replacement_timeout did not stick"
fio --name=long --filename="$disk" --direct=1 --ioengine=libaio --rw=randwrite --bs=4k --iodepth=16 \
  --size=64m --time_based --runtime=300 --output=/tmp/long.txt &
fpid=$!
sleep 3
rec=$(cat "$sysh/iscsi_recoveries")
lio_disable "$iqn"; t0=$(now)
# The held I/O fails (fio gets EIO) when the devices turn to fail-fast.
t_eio=$(until_reads "$sysh/iscsi_io_state" failfast 40)
(( $(echo "$t_eio <= 15" | bc) )) || die "held I/O failed $t_eio s into the outage (want <= replacement_timeout + 5 = 15 s)"
while kill -0 "$fpid" 2>/dev/null; do
  (( $(echo "$(now) - $t0 < 60" | bc) )) || { kill -9 "$fpid"; die "fio still running 60 s into the outage"; }
  sleep 0.2
done
t_exit=$(echo "$(now) - $t0" | bc)
if wait "$fpid"; then die "fio succeeded although the target was gone past replacement_timeout"; fi
grep -q 'err= *[1-9]' /tmp/long.txt || { cat /tmp/long.txt; die "fio reported no error"; }
[ "$(cat "$sysh/iscsi_io_state")" = failfast ] || die "I/O state is $(cat "$sysh/iscsi_io_state"), not failfast"
log "long outage: I/O failed $t_eio s into the outage; fio ended with $(grep -m1 -o 'err=[^,]*' /tmp/long.txt || echo '?') after $t_exit s"
lio_enable "$iqn"; t_en=$EPOCHREALTIME
back=$(wait_rec $((rec + 1)) 60 "$t_en")
[ "$(ii_disks "$iqn" | sed -n 1p)" = "$disk" ] || die "the disk is not $disk any more"
[ "$(cat "$sysh/iscsi_io_state")" = running ] || die "I/O does not run after the recovery"
fio_verify "$disk" 8
log "long outage: session back $back s after the TPG was enabled; fio verify passes on $disk"

# 3. No daemon.
kill "$dpid"; wait "$dpid" 2>/dev/null || true
echo 8 >"$sysh/iscsi_replacement_timeout"
rec=$(cat "$sysh/iscsi_recoveries")
ii_kill 3260; t0=$(now)
dd if=/dev/zero of="$disk" bs=64k count=16 oflag=direct 2>/tmp/dd.err &
ddpid=$!
sleep 4
kill -0 "$ddpid" 2>/dev/null || die "I/O was not held without the daemon"
[ "$(cat "$sysh/iscsi_io_state")" = holding ] || die "I/O state is $(cat "$sysh/iscsi_io_state"), not holding"
held=$(echo "$(now) - $t0" | bc)
t_eio=$(until_reads "$sysh/iscsi_io_state" failfast 40)
t_eio=$(echo "$held + $t_eio" | bc)
(( $(echo "$t_eio <= 13" | bc) )) || die "held I/O failed after $t_eio s (want <= replacement_timeout + 5 = 13 s)"
if wait "$ddpid"; then die "dd succeeded without a connection"; fi
grep -q 'error' /tmp/dd.err || { cat /tmp/dd.err; die "dd reported no I/O error"; }
log "no daemon: I/O held, failed after $t_eio s, dd ended after $(echo "$(now) - $t0" | bc) s ($(head -1 /tmp/dd.err))"
ii login -T "$iqn" -p 127.0.0.1:3260 | tee /tmp/manual.txt
grep -q "(recovered)" /tmp/manual.txt || die "the manual login did not recover the session"
[ "$(cat "$sysh/iscsi_recoveries")" -gt "$rec" ] || die "no recovery counted"
dd if="$disk" of=/dev/null bs=64k count=16 iflag=direct || die "the disk does not work after the manual recovery"
log "no daemon: manual login recovered session on host$h"
ii list
ii list --json | python3 -c 'import json,sys; s=json.load(sys.stdin)["sessions"][0]; assert s["recoveries"] >= 3 and s["last_failure"]["cause"], s; print("list --json:", s["io"], s["recoveries"], s["last_failure"])'
ii logout -T "$iqn"

# open-iscsi, short outage, same boot (the anchor; not pass/fail).
# Reported, not fatal: open-iscsi is the anchor.
oi_compare() {
  oiqn=$(lio_setup -t iqn.2003-01.org.linux-iscsi.guest:oi -p 3261 -l 1 -s 128)
  odisk=$(oi_login "$oiqn" 127.0.0.1:3261)
  rm -f "$stop"
  fio_rounds "$odisk" "$stop" /tmp/oishort &
  rounds=$!
  sleep 3
  local f
  f=$(oi_state_file "$oiqn") || die "no open-iscsi session to $oiqn"
  lio_disable "$oiqn"; sleep "$OUTAGE"; lio_enable "$oiqn"; t_en=$EPOCHREALTIME; log "TPG enabled"
  oback=$(until_reads "$f" LOGGED_IN 120 "$t_en") || die "open-iscsi not logged in again within 120 s"
  touch "$stop"; wait "$rounds"
  log "open-iscsi short outage: back $oback s after the TPG was enabled, fio rounds with errors: $(cat /tmp/oishort.fail 2>/dev/null | wc -l)"
  oi_logout "$oiqn" 127.0.0.1:3261; pkill -x iscsid || true
}
if [ "${E2E_OPEN_ISCSI:-0}" = 1 ]; then
  if ! (oi_compare); then log "open-iscsi comparison did not complete; not a failure of iscsi-init"; pkill -x iscsid || true; fi
else
  log "open-iscsi comparison skipped (E2E_OPEN_ISCSI=1, or make compare, runs it)"
fi
rmmod iscsi_init
kmemleak_check
dmesg_clean
