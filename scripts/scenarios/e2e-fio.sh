# e2e-fio: fio with verify=crc32c, verify_fatal=1, do_verify=1:
# a 4k randwrite job at QD32 and a 1M sequential write job at QD8, 16 MiB
# each by default (E2E_FIO_MIB), through iscsi-init. Zero errors. Both send
# paths: queuecommand sending inline when the session is idle (the default,
# iscsi_tx_inline 1: a queue-depth-1 dd of 64 reads must send most of them
# inline), then every command through the transmit thread (iscsi_tx_inline
# 0; the counter must not move).
iqn=$(lio_setup -l 1 -s 256)
disk=$(ii_login "$iqn" 127.0.0.1:3260)
sysfs=/sys/class/scsi_host/host$(ii_host "$iqn")
[ "$(cat "$sysfs/iscsi_tx_inline")" = 1 ] || die "iscsi_tx_inline is not 1 by default"
before=$(cat "$sysfs/iscsi_tx_inline_sends")
dd if="$disk" of=/dev/null bs=4k count=64 iflag=direct status=none
inline=$(( $(cat "$sysfs/iscsi_tx_inline_sends") - before ))
# 64 unless other I/O (udev's probes) overlapped some of them.
((inline >= 32)) || die "only $inline of 64 queue-depth-1 reads were sent inline"
log "queue depth 1: $inline of 64 reads sent inline"
before=$(cat "$sysfs/iscsi_tx_inline_sends")
fio_verify "$disk" "${E2E_FIO_MIB:-16}"
log "fio at queue depths 32 and 8: $(( $(cat "$sysfs/iscsi_tx_inline_sends") - before )) commands sent inline"
echo 0 >"$sysfs/iscsi_tx_inline"
before=$(cat "$sysfs/iscsi_tx_inline_sends")
fio_verify "$disk" "${E2E_FIO_MIB:-16}"
[ "$(cat "$sysfs/iscsi_tx_inline_sends")" = "$before" ] || die "inline sends with iscsi_tx_inline 0"
log "iscsi_tx_inline 0: every command through the transmit thread"
! echo 2 >"$sysfs/iscsi_tx_inline" 2>/dev/null || die "iscsi_tx_inline took 2"
echo 1 >"$sysfs/iscsi_tx_inline"
ii list --stats
ii logout -T "$iqn"
rmmod iscsi_init
dmesg_clean
