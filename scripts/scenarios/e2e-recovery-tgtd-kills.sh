# e2e-recovery-tgtd-kills: the connection kills of e2e-recovery-kills against
# the second target, tgtd: during fio verify rounds (4k randwrite QD16,
# crc32c) the connection is killed E2E_TGTD_KILLS times (default 4), and
# the daemon reinstates the session each time: 0 I/O errors, 0 verify
# errors. Then removal in recovery, with no daemon and a replacement_timeout
# of 300 s, so I/O is held:
#  - a read held on the open disk keeps the module in use: rmmod is refused
#    at once (nothing hangs), and logout of the held session fails the read;
#  - a session in recovery with no opener goes with rmmod.
kmemleak_start
KILLS=${E2E_TGTD_KILLS:-4}
IQN=iqn.2026-11.org.iscsi-init:tgtd-kills
tgtd_setup 3262 "$IQN" 64
disk=$(ii_login "$IQN" 127.0.0.1:3262)
sysh=/sys/class/scsi_host/host$(ii_host "$IQN")
dpid=$(ii_daemon)
stop=/tmp/rounds.stop; rm -f "$stop"
fio_rounds "$disk" "$stop" /tmp/tk &
rounds=$!
sleep 3
base=$(cat "$sysh/iscsi_recoveries")
times=()
for ((i = 1; i <= KILLS; i++)); do
  times+=("$(kill_and_time 3262 "$sysh/iscsi_state" logged_in)")
  sleep "0.$((RANDOM % 9 + 1))"
done
[ "$(cat "$sysh/iscsi_recoveries")" -eq $((base + KILLS)) ] ||
  die "$KILLS kills but $(( $(cat "$sysh/iscsi_recoveries") - base )) recoveries"
touch "$stop"; wait "$rounds"
fio_rounds_check /tmp/tk
log "tgtd: $KILLS kills, recovery p50 $(percentile 50 "${times[@]}") s, max $(percentile 100 "${times[@]}") s (${times[*]})"
kill "$dpid"; wait "$dpid" 2>/dev/null || true

# Removal in recovery, with a held read on the open disk.
echo 300 >"$sysh/iscsi_replacement_timeout"
ii_kill 3262
wait_for "I/O to be held" 30 grep -qx holding "$sysh/iscsi_io_state"
dd if="$disk" of=/dev/null bs=64k count=4 iflag=direct 2>/tmp/dd.err &
ddpid=$!
sleep 2
kill -0 "$ddpid" 2>/dev/null || die "the read was not held"
t0=$SECONDS
if timeout 20 rmmod iscsi_init 2>/tmp/rmmod.err; then die "rmmod succeeded while the disk was open"; fi
grep -q "in use" /tmp/rmmod.err || die "rmmod: $(cat /tmp/rmmod.err)"
((SECONDS - t0 < 10)) || die "rmmod took $((SECONDS - t0)) s to refuse"
kill -0 "$ddpid" 2>/dev/null || die "the held read ended when rmmod was refused"
ii logout -T "$IQN"
if wait "$ddpid"; then die "the held read succeeded after the session was removed"; fi
log "held read: rmmod refused at once ($(cat /tmp/rmmod.err)), logout failed the read ($(head -1 /tmp/dd.err))"

# Removal in recovery, no opener: rmmod takes the held session with it.
disk=$(ii_login "$IQN" 127.0.0.1:3262 --replacement-timeout 300)
sysh=/sys/class/scsi_host/host$(ii_host "$IQN")
ii_kill 3262
wait_for "I/O to be held" 30 grep -qx holding "$sysh/iscsi_io_state"
timeout 60 rmmod iscsi_init || die "rmmod of a module with a session in recovery failed"
[ ! -e "$sysh" ] || die "$sysh is still there after rmmod"
log "rmmod with a session in recovery: clean"
targets_stop
kmemleak_check
dmesg_clean
