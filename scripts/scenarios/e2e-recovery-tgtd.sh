# e2e-recovery-tgtd: a silent target. tgtd is stopped with SIGSTOP, so its
# TCP connection stays up but nothing answers: our NOP-Out keepalive
# (noop_out_interval 2 s, noop_out_timeout 2 s) must fail the connection
# within interval + timeout, and after SIGCONT the daemon recovers the session
# with 0 fio errors. (Kills against tgtd and rmmod while I/O is held are in
# e2e-recovery-tgtd-kills.)
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
touch "$stop"; wait "$rounds"
fio_rounds_check /tmp/tgtd
kill "$dpid"; wait "$dpid" 2>/dev/null || true
ii logout -T "$IQN"
targets_stop
rmmod iscsi_init
kmemleak_check
dmesg_clean
