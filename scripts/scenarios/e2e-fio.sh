# e2e-fio: fio with verify=crc32c, verify_fatal=1, do_verify=1:
# a 4k randwrite job at QD32 and a 1M sequential write job at QD8, 16 MiB
# each by default (E2E_FIO_MIB), through iscsi-init. Zero errors. Every send
# path:
# - the module loaded with tx_inline=1: queuecommand sends inline when the
#   session runs at queue depth 1 (a dd of 64 direct 4k reads must send most
#   of them inline), then fio verify;
# - iscsi_tx_inline 0 on the same session: no inline send (the inline
#   counter must not move), fio verify again; `list --stats` shows the
#   session's inline and work item sends as sysfs counts them;
# - the module's defaults (tx_inline=0, tx_work=1): iscsi_tx_inline is 0 and
#   cannot be turned on (the host's queuecommand may not sleep); at queue
#   depth 1 the transmit work item sends on the submitting CPU (most of 64
#   direct 4k reads), fio verify; in the same two runs the receive side's
#   default (rx_thread_depth=2): sk_data_ready reads at queue depth 1 (the
#   64 reads leave at most a few reads to the receive thread) and hands the
#   reading to the receive thread under fio's queue depths
#   (iscsi_rx_thread_reads moves);
# - tx_work=0: every command through the transmit thread (the work item's
#   counter must not move), fio verify;
# - rx_thread_depth=0: the receive thread never reads (its counter must not
#   move), fio verify; rx_thread_depth=1: the thread reads even at queue
#   depth 1, fio verify;
# - tx_highpri=1 (default 0): the work item still sends at queue depth 1
#   from its WQ_HIGHPRI queue, fio verify.
# Runs COMMAND... in this shell (a failure in it ends the scenario) and sets
# moved[i] to how far the i-th sysfs counter of COUNTERS (space-separated)
# moved meanwhile; $moved is the first.
count() { # "COUNTERS" COMMAND...
  local -a counters before
  local i
  read -r -a counters <<<"$1"
  shift
  for i in "${!counters[@]}"; do before[i]=$(cat "${counters[i]}"); done
  "$@"
  moved=()
  for i in "${!counters[@]}"; do moved[i]=$(( $(cat "${counters[i]}") - before[i] )); done
}
# 64 direct 4k reads, one at a time: queue depth 1.
qd1_reads() { dd if="$disk" of=/dev/null bs=4k count=64 iflag=direct status=none; }
verify() { fio_verify "$disk" "${E2E_FIO_MIB:-16}"; }

iqn=$(lio_setup -l 1 -s 256)
insmod "$ISCSI_INIT_KO" tx_inline=1
disk=$(ii_login "$iqn" 127.0.0.1:3260)
sysfs=/sys/class/scsi_host/host$(ii_host "$iqn")
[ "$(cat "$sysfs/iscsi_tx_inline")" = 1 ] || die "iscsi_tx_inline is not 1 with tx_inline=1"
count "$sysfs/iscsi_tx_inline_sends" qd1_reads
inline=$moved
# 60 after the streak of 4, unless other I/O (udev's probes) overlapped.
((inline >= 32)) || die "only $inline of 64 queue-depth-1 reads were sent inline"
log "queue depth 1: $inline of 64 reads sent inline"
count "$sysfs/iscsi_tx_inline_sends" verify
log "fio at queue depths 32 and 8: $moved commands sent inline"
echo 0 >"$sysfs/iscsi_tx_inline"
count "$sysfs/iscsi_tx_inline_sends" verify
((moved == 0)) || die "$moved inline sends with iscsi_tx_inline 0"
log "iscsi_tx_inline 0: no inline sends"
! echo 2 >"$sysfs/iscsi_tx_inline" 2>/dev/null || die "iscsi_tx_inline took 2"
stats=$(ii list --stats)
echo "$stats"
# The session is idle: its counters stand still between the two reads.
want="data path: inline sends $(cat "$sysfs/iscsi_tx_inline_sends") work item sends $(cat "$sysfs/iscsi_tx_work_sends")"
grep -qF "$want" <<<"$stats" || die "list --stats lacks \"$want\""
ii logout -T "$iqn"
rmmod iscsi_init

# The defaults: no inline sending, and it cannot be turned on; at queue
# depth 1 the work item sends, and sk_data_ready reads; under fio's queue
# depths the receive thread reads (rx_thread_depth=2). One QD1 run and one
# fio verify check both.
disk=$(ii_login "$iqn" 127.0.0.1:3260)
sysfs=/sys/class/scsi_host/host$(ii_host "$iqn")
param=/sys/module/iscsi_init/parameters/tx_work
rx_param=/sys/module/iscsi_init/parameters/rx_thread_depth
highpri_param=/sys/module/iscsi_init/parameters/tx_highpri
[ "$(cat "$sysfs/iscsi_tx_inline")" = 0 ] || die "iscsi_tx_inline is not 0 by default"
[ "$(cat "$param")" = Y ] || die "tx_work is not on by default"
[ "$(cat "$highpri_param")" = N ] || die "tx_highpri is not off by default"
[ "$(cat "$rx_param")" = 2 ] || die "rx_thread_depth is $(cat "$rx_param"), not 2 by default"
! echo 1 >"$sysfs/iscsi_tx_inline" 2>/dev/null || die "iscsi_tx_inline turned on without tx_inline=1"
both="$sysfs/iscsi_tx_work_sends $sysfs/iscsi_rx_thread_reads"
count "$both" qd1_reads
work=${moved[0]}
((work >= 32)) || die "only $work of 64 queue-depth-1 reads were sent by the work item"
[ "$(cat "$sysfs/iscsi_tx_inline_sends")" = 0 ] || die "inline sends without tx_inline=1"
log "default module: iscsi_tx_inline 0, cannot be turned on; queue depth 1: $work of 64 reads sent by the work item"
((moved[1] < 32)) || die "${moved[1]} receive thread reads for 64 queue-depth-1 reads with rx_thread_depth=2"
log "rx_thread_depth=2, queue depth 1: ${moved[1]} receive thread reads for 64 reads"
count "$both" verify
log "fio at queue depths 32 and 8: ${moved[0]} sends by the work item"
((moved[1] > 0)) || die "no receive thread read at fio's queue depths with rx_thread_depth=2"
log "rx_thread_depth=2, fio at queue depths 32 and 8: ${moved[1]} receive thread reads"
echo 0 >"$param"
count "$sysfs/iscsi_tx_work_sends" qd1_reads
((moved == 0)) || die "$moved work item sends at queue depth 1 with tx_work=0"
count "$sysfs/iscsi_tx_work_sends" verify
((moved == 0)) || die "$moved work item sends with tx_work=0"
log "tx_work=0: every command through the transmit thread"
echo 1 >"$param"

# Receiving in sk_data_ready alone, then in the receive thread even at
# queue depth 1.
echo 0 >"$rx_param"
count "$sysfs/iscsi_rx_thread_reads" verify
((moved == 0)) || die "$moved receive thread reads with rx_thread_depth=0"
log "rx_thread_depth=0: everything read in sk_data_ready"
echo 1 >"$rx_param"
count "$sysfs/iscsi_rx_thread_reads" qd1_reads
((moved >= 32)) || die "only $moved receive thread reads for 64 queue-depth-1 reads with rx_thread_depth=1"
count "$sysfs/iscsi_rx_thread_reads" verify
log "rx_thread_depth=1: $moved receive thread reads under fio, verified"
echo 2 >"$rx_param"
ii logout -T "$iqn"
rmmod iscsi_init

# tx_highpri=1: the work item's queue is WQ_HIGHPRI; it still sends at
# queue depth 1, and fio verifies.
insmod "$ISCSI_INIT_KO" tx_highpri=1
disk=$(ii_login "$iqn" 127.0.0.1:3260)
sysfs=/sys/class/scsi_host/host$(ii_host "$iqn")
[ "$(cat "$highpri_param")" = Y ] || die "tx_highpri=1 did not take"
count "$sysfs/iscsi_tx_work_sends" qd1_reads
((moved >= 32)) || die "only $moved of 64 queue-depth-1 reads were sent by the work item with tx_highpri=1"
verify
log "tx_highpri=1: $moved of 64 queue-depth-1 reads sent by the work item, verified"
ii logout -T "$iqn"
rmmod iscsi_init
dmesg_clean
