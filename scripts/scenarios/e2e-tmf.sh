# e2e-tmf: the SCSI error handler with task management (RFC 7143 §11.5).
# - Commands slower than the command timeout: LUN 0 is an LIO iblock
#   backstore on a dm-delay device; with a 2 s command timeout, the delay is
#   raised to 5 s during a fio verify until the first ABORT TASK. The timed-out
#   commands get ABORT TASK, LIO answers, the midlayer retries them: fio
#   verifies with 0 errors and the connection never drops.
# - sg_reset -d: LOGICAL UNIT RESET during fio, answered by LIO.
# - sg_reset -t: TARGET WARM RESET, which LIO refuses (it allows it only to
#   ACLs with tmr_warm_reset, which configfs does not offer): the midlayer
#   escalates to a host reset, the connection is dropped and session
#   recovery (the daemon) brings the session back.
# - The same two resets against tgtd.
# dmesg and kmemleak stay clean; `list --stats` counts each function.
kmemleak_start
export DM_DISABLE_UDEV=1
IQN=iqn.2026-12.org.iscsi-init:tmf
truncate -s 64M /tmp/tmf.img
loopdev=$(losetup -f --show /tmp/tmf.img)
sectors=$(blockdev --getsz "$loopdev")
dmsetup create tmf-slow --noudevsync --table "0 $sectors delay $loopdev 0 0"
set_delay() {
  dmsetup suspend --noudevsync tmf-slow
  dmsetup reload --noudevsync tmf-slow --table "0 $sectors delay $loopdev 0 $1"
  dmsetup resume --noudevsync tmf-slow
  log "dm-delay: $1 ms"
}
lio_setup -t "$IQN" -b /dev/mapper/tmf-slow >/dev/null
disk=$(ii_login "$IQN" 127.0.0.1:3260 --cmd-timeout 2 --abort-timeout 20 --replacement-timeout 30)
h=$(ii_host "$IQN"); sysh=/sys/class/scsi_host/host$h
blk=/sys/block/$(basename "$disk")
[ "$(cat "$blk/device/timeout")" = 2 ] \
  || die "--cmd-timeout 2 not applied: device timeout $(cat "$blk/device/timeout")"
[ "$(cat "$sysh/iscsi_abort_timeout") $(cat "$sysh/iscsi_lu_reset_timeout") $(cat "$sysh/iscsi_tgt_reset_timeout")" = "20 30 30" ] \
  || die "TMF timeouts: $(cat "$sysh"/iscsi_*reset_timeout "$sysh/iscsi_abort_timeout" | tr '\n' ' ')"
# The sysfs timers take new values, and refuse 0.
echo 15 >"$sysh/iscsi_abort_timeout"
[ "$(cat "$sysh/iscsi_abort_timeout")" = 15 ] || die "iscsi_abort_timeout not writable"
if echo 0 >"$sysh/iscsi_abort_timeout" 2>/dev/null; then die "iscsi_abort_timeout took 0"; fi
sg=$(sg_of "$disk")
# WRITE SAME is turned off only for devices older than SPC-3 (the shim's
# device_configure); LIO's iblock backstore (ANSI 6) reports it and keeps it.
wz=$(cat "$blk/queue/write_zeroes_max_bytes")
((wz > 0)) || die "$disk: WRITE SAME off (write_zeroes_max_bytes $wz) on LIO's SPC-4 iblock disk"

fio_job() { # NAME MIB [ARGS...]
  local name=$1 mib=$2; shift 2
  fio --name="$name" --filename="$disk" --direct=1 --ioengine=libaio --rw=randwrite --bs=4k --iodepth=8 \
    --size="${mib}m" --verify=crc32c --verify_fatal=1 --do_verify=1 "$@" --output="/tmp/tmf-$name.txt"
}
fio_ok() {
  wait "$1" || { cat "/tmp/tmf-$2.txt"; die "fio $2 failed"; }
  grep -q "err= 0" "/tmp/tmf-$2.txt" || { cat "/tmp/tmf-$2.txt"; die "fio $2 reported errors"; }
}

# --- 1. commands slower than the command timeout: ABORT TASK
fio_job slow 8 & f=$!
sleep 2
set_delay 5000
# The delay stays until a command has timed out and been aborted (not a
# fixed time: on a slow host fio's commands can reach the delayed device
# late; one run saw none in a fixed 7 s), then 2 s more.
wait_for "an ABORT TASK (2 s command timeout, 5 s delay)" 20 \
  eval '[ "$(ii_stat "$IQN" .stats.tmf.abort_task.sent)" -ge 1 ]'
sleep 2
set_delay 0
fio_ok "$f" slow
read -r sent ok failed tout cf < <(ii_stats "$IQN" .stats.tmf.abort_task.sent .stats.tmf.abort_task.succeeded \
  .stats.tmf.abort_task.failed .stats.tmf.abort_task.timed_out .stats.conn_failures)
log "ABORT TASK: sent $sent, succeeded $ok, failed $failed, timed out $tout"
((sent >= 1 && ok >= 1)) || die "no ABORT TASK was sent and answered"
[ "$cf" = 0 ] || die "the connection failed: $(cat "$sysh/iscsi_last_failure")"
[ "$(cat "$sysh/iscsi_recoveries")" = 0 ] || die "the session went through recovery"
[ "$(cat "$sysh/iscsi_state")" = logged_in ] || die "state $(cat "$sysh/iscsi_state")"
dmesg | grep -q "ABORT TASK for ITT" || die "no ABORT TASK in the kernel log"

# --- 2. sg_reset -d: LOGICAL UNIT RESET with I/O outstanding
# Back to the default command timeout: with 2 s, a command held behind the
# reset on a slow host timed out too, and the midlayer's own escalation sent
# a second LU reset (one CI run counted 2 sent, 2 answered). With 30 s, the
# one reset counted is sg_reset's.
echo 30 >"$blk/device/timeout"
fio_job lu 8 & f=$!
sleep 3
sg_reset -d "$sg" || die "sg_reset -d failed"
fio_ok "$f" lu
read -r sent ok cf lu ab < <(ii_stats "$IQN" .stats.tmf.lu_reset.sent .stats.tmf.lu_reset.succeeded .stats.conn_failures \
  .stats.tmf.lu_reset .stats.tmf.abort_task)
log "LOGICAL UNIT RESET: $lu; ABORT TASK: $ab"
[ "$sent $ok" = "1 1" ] || die "LOGICAL UNIT RESET: $lu"
[ "$cf" = 0 ] || die "the LU reset dropped the connection: $(cat "$sysh/iscsi_last_failure")"
# LIO may answer a command the reset ended (its backend had completed it):
# the module drops that status instead of failing the connection.
log "LOGICAL UNIT RESET: answered, fio verified; late statuses dropped: $(dmesg | grep -c 'after task management ended it' || true)"

# --- 3. sg_reset -t: LIO refuses TARGET WARM RESET; the host reset
# recovers the session
dpid=$(ii_daemon)
t0=$(now)
sg_reset -t "$sg" || die "sg_reset -t failed"
log "sg_reset -t returned after $(echo "$(now) - $t0" | bc) s"
read -r sent failed hr tr < <(ii_stats "$IQN" .stats.tmf.target_reset.sent .stats.tmf.target_reset.failed .stats.host_resets .stats.tmf.target_reset)
[ "$sent $failed" = "1 1" ] || die "TARGET WARM RESET: $tr"
[ "$hr" = 1 ] || die "no host reset"
[ "$(cat "$sysh/iscsi_recoveries")" = 1 ] || die "the host reset did not go through recovery"
[ "$(cat "$sysh/iscsi_state")" = logged_in ] || die "state after the host reset: $(cat "$sysh/iscsi_state")"
[ "$(cat "$blk/device/state")" = running ] || die "device state $(cat "$blk/device/state")"
fio_job after 4 & f=$!
fio_ok "$f" after
ii list --stats | sed -n '/ABORT TASK/,/host resets/p'
kill "$dpid"; wait "$dpid" 2>/dev/null || true
ii logout -T "$IQN"
lio_teardown "$IQN"
dmsetup remove --noudevsync tmf-slow
losetup -d "$loopdev"

# --- 4. tgtd
TIQN=iqn.2026-12.org.iscsi-init:tmf-tgtd
tgtd_setup 3263 "$TIQN" 64
disk=$(ii_login "$TIQN" 127.0.0.1:3263 --replacement-timeout 30)
sg=$(sg_of "$disk")
dpid=$(ii_daemon)
fio_job tgtd-lu 8 & f=$!
sleep 3
sg_reset -d "$sg" || die "sg_reset -d failed against tgtd"
fio_ok "$f" tgtd-lu
read -r ok lu < <(ii_stats "$TIQN" .stats.tmf.lu_reset.succeeded .stats.tmf.lu_reset)
[ "$ok" = 1 ] || die "tgtd LU reset: $lu"
sg_reset -t "$sg" || die "sg_reset -t failed against tgtd"
read -r tr hr sent < <(ii_stats "$TIQN" .stats.tmf.target_reset .stats.host_resets .stats.tmf.target_reset.sent)
log "tgtd: LOGICAL UNIT RESET answered; TARGET WARM RESET $tr, host resets $hr"
[ "$sent" = 1 ] || die "no TARGET WARM RESET sent to tgtd"
th=/sys/class/scsi_host/host$(ii_host "$TIQN")
[ "$(cat "$th/iscsi_state")" = logged_in ] || die "tgtd session state $(cat "$th/iscsi_state")"
fio_job tgtd-after 4 & f=$!
fio_ok "$f" tgtd-after
kill "$dpid"; wait "$dpid" 2>/dev/null || true
ii logout -T "$TIQN"
targets_stop
rmmod iscsi_init
kmemleak_check
dmesg_clean
