# e2e-fio: fio with verify=crc32c, verify_fatal=1, do_verify=1:
# a 4k randwrite job at QD32 and a 1M sequential write job at QD8, 16 MiB
# each by default (E2E_FIO_MIB), through iscsi-init. Zero errors. Every send
# path:
# - the module loaded with tx_inline=1: queuecommand sends inline when the
#   session runs at queue depth 1 (a dd of 64 direct 4k reads must send most
#   of them inline), then fio verify;
# - iscsi_tx_inline 0 on the same session: no inline send (the inline
#   counter must not move), fio verify again;
# - the module's defaults (tx_inline=0, tx_work=1): iscsi_tx_inline is 0 and
#   cannot be turned on (the host's queuecommand may not sleep); at queue
#   depth 1 the transmit work item sends on the submitting CPU (most of 64
#   direct 4k reads), fio verify;
# - tx_work=0: every command through the transmit thread (the work item's
#   counter must not move), fio verify;
# - receiving: by default (rx_thread_depth=2) sk_data_ready reads at queue
#   depth 1 (64 direct 4k reads leave at most a few reads to the receive
#   thread) and hands the reading to the receive thread under fio's queue
#   depths (iscsi_rx_thread_reads moves); rx_thread_depth=0: never (the
#   counter must not move), fio verify; rx_thread_depth=1: the thread reads
#   even at queue depth 1, fio verify.
# Runs COMMAND... in this shell (a failure in it ends the scenario) and sets
# $moved to how far the sysfs counter COUNTER moved meanwhile.
count() { # COUNTER COMMAND...
  local counter=$1 before
  shift
  before=$(cat "$counter")
  "$@"
  moved=$(( $(cat "$counter") - before ))
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
ii list --stats
ii logout -T "$iqn"
rmmod iscsi_init

# The defaults: no inline sending, and it cannot be turned on; at queue
# depth 1 the work item sends.
disk=$(ii_login "$iqn" 127.0.0.1:3260)
sysfs=/sys/class/scsi_host/host$(ii_host "$iqn")
param=/sys/module/iscsi_init/parameters/tx_work
[ "$(cat "$sysfs/iscsi_tx_inline")" = 0 ] || die "iscsi_tx_inline is not 0 by default"
[ "$(cat "$param")" = Y ] || die "tx_work is not on by default"
! echo 1 >"$sysfs/iscsi_tx_inline" 2>/dev/null || die "iscsi_tx_inline turned on without tx_inline=1"
count "$sysfs/iscsi_tx_work_sends" qd1_reads
work=$moved
((work >= 32)) || die "only $work of 64 queue-depth-1 reads were sent by the work item"
[ "$(cat "$sysfs/iscsi_tx_inline_sends")" = 0 ] || die "inline sends without tx_inline=1"
log "default module: iscsi_tx_inline 0, cannot be turned on; queue depth 1: $work of 64 reads sent by the work item"
count "$sysfs/iscsi_tx_work_sends" verify
log "fio at queue depths 32 and 8: $moved sends by the work item"
echo 0 >"$param"
count "$sysfs/iscsi_tx_work_sends" qd1_reads
((moved == 0)) || die "$moved work item sends at queue depth 1 with tx_work=0"
count "$sysfs/iscsi_tx_work_sends" verify
((moved == 0)) || die "$moved work item sends with tx_work=0"
log "tx_work=0: every command through the transmit thread"
echo 1 >"$param"

# Receiving: in sk_data_ready at queue depth 1, in the receive thread from
# rx_thread_depth commands outstanding.
param=/sys/module/iscsi_init/parameters/rx_thread_depth
[ "$(cat "$param")" = 2 ] || die "rx_thread_depth is $(cat "$param"), not 2 by default"
count "$sysfs/iscsi_rx_thread_reads" qd1_reads
((moved < 32)) || die "$moved receive thread reads for 64 queue-depth-1 reads with rx_thread_depth=2"
log "rx_thread_depth=2, queue depth 1: $moved receive thread reads for 64 reads"
count "$sysfs/iscsi_rx_thread_reads" verify
((moved > 0)) || die "no receive thread read at fio's queue depths with rx_thread_depth=2"
log "rx_thread_depth=2, fio at queue depths 32 and 8: $moved receive thread reads"
echo 0 >"$param"
count "$sysfs/iscsi_rx_thread_reads" verify
((moved == 0)) || die "$moved receive thread reads with rx_thread_depth=0"
log "rx_thread_depth=0: everything read in sk_data_ready"
echo 1 >"$param"
count "$sysfs/iscsi_rx_thread_reads" qd1_reads
((moved >= 32)) || die "only $moved receive thread reads for 64 queue-depth-1 reads with rx_thread_depth=1"
count "$sysfs/iscsi_rx_thread_reads" verify
log "rx_thread_depth=1: $moved receive thread reads under fio, verified"
echo 2 >"$param"
ii logout -T "$iqn"
rmmod iscsi_init
dmesg_clean
