# e2e-recovery-tgtd: a silent target. tgtd is stopped with SIGSTOP, so its
# TCP connection stays up but nothing answers: our NOP-Out keepalive
# (noop_out_interval 2 s, noop_out_timeout 2 s) must fail the connection
# within interval + timeout, and after SIGCONT the daemon recovers the session
# with 0 fio errors. Then the connection is killed 3 times (reinstatement
# against tgtd), and the module is removed while a session holds I/O.
kmemleak_start
IQN=iqn.2026-11.org.iscsi-init:tgtd-recovery
tgtd_setup 3262 "$IQN" 128
tpid=$(pgrep -x tgtd | head -1)
disk=$(ii_login "$IQN" 127.0.0.1:3262 --noop-out-interval 2 --noop-out-timeout 2)
h=$(ii_host "$IQN"); sysh=/sys/class/scsi_host/host$h
[ "$(cat "$sysh/iscsi_noop_out_interval") $(cat "$sysh/iscsi_noop_out_timeout")" = "2 2" ] || die "keepalive settings not applied"
dpid=$(ii_daemon)
stop=/tmp/rounds.stop; rm -f "$stop"
fio_rounds "$disk" "$stop" /tmp/tgtd &
rounds=$!
sleep 3
rec=$(cat "$sysh/iscsi_recoveries")
kill -STOP "$tpid"; t0=$(now)
end=$(( $(date +%s) + 30 ))
until [ "$(cat "$sysh/iscsi_state")" != logged_in ]; do
  (( $(date +%s) < end )) || { kill -CONT "$tpid"; die "the keepalive did not fail the connection within 30 s"; }
  sleep 0.05
done
t_fail=$(echo "$(now) - $t0" | bc)
grep -q "NOP-Out ping timed out" "$sysh/iscsi_last_failure" || die "last failure is $(cat "$sysh/iscsi_last_failure")"
log "silent target: keepalive failed the connection $t_fail s after SIGSTOP"
# 2 + 2 s, plus the maintenance thread's wake-up and TCG slack.
(( $(echo "$t_fail <= 6.5" | bc) )) || { kill -CONT "$tpid"; die "keepalive took $t_fail s (want <= interval + timeout)"; }
sleep 2
kill -CONT "$tpid"; t_cont=$(now)
end=$(( $(date +%s) + 90 ))
until [ "$(cat "$sysh/iscsi_recoveries")" -gt "$rec" ] && [ "$(cat "$sysh/iscsi_state")" = logged_in ]; do
  (( $(date +%s) < end )) || die "no recovery within 90 s after SIGCONT"
  sleep 0.05
done
log "silent target: recovered $(echo "$(now) - $t_cont" | bc) s after SIGCONT"
for i in 1 2 3; do
  rec=$(cat "$sysh/iscsi_recoveries")
  ii_kill 3262
  wait_for "recovery $i from tgtd" 60 test "$(cat "$sysh/iscsi_recoveries")" -gt "$rec"
done
touch "$stop"; wait "$rounds"
fio_rounds_check /tmp/tgtd
kill "$dpid"; wait "$dpid" 2>/dev/null || true
# Removal during recovery: a session holding I/O (a long replacement_timeout,
# no daemon) goes with rmmod; the held read fails, nothing hangs.
echo 300 >"$sysh/iscsi_replacement_timeout"
ii_kill 3262
wait_for "I/O to be held" 30 grep -qx holding "$sysh/iscsi_io_state"
dd if="$disk" of=/dev/null bs=64k count=4 iflag=direct 2>/dev/null &
ddpid=$!
sleep 2
kill -0 "$ddpid" 2>/dev/null || die "the read was not held"
rmmod iscsi_init
if wait "$ddpid"; then die "the held read succeeded after rmmod"; fi
log "rmmod with a session holding I/O: clean, the held read failed"
pkill -x tgtd || true
kmemleak_check
dmesg_clean
