# e2e-recovery-tgtd-kills (PENDING, not run by make test): 3 connection kills
# against tgtd, each recovered by the daemon (in its last run the first
# recovery did not come within 60 s), then rmmod while a session holds I/O.
IQN=iqn.2026-11.org.iscsi-init:tgtd-kills
tgtd_setup 3262 "$IQN" 64
disk=$(ii_login "$IQN" 127.0.0.1:3262)
h=$(ii_host "$IQN"); sysh=/sys/class/scsi_host/host$h
dpid=$(ii_daemon)
for i in 1 2 3; do
  rec=$(cat "$sysh/iscsi_recoveries")
  ii_kill 3262
  wait_for "recovery $i from tgtd" 60 test "$(cat "$sysh/iscsi_recoveries")" -gt "$rec"
done
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
dmesg_clean
