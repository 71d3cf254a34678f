# e2e-multi: two LUNs on one target, and two sessions to two targets
# at once, with I/O on all four disks concurrently.
mib=${E2E_MULTI_MIB:-8}
iqn1=$(lio_setup -t iqn.2003-01.org.linux-iscsi.guest:multi1 -l 2 -s 64)
iqn2=$(lio_setup -t iqn.2003-01.org.linux-iscsi.guest:multi2 -l 2 -s 64 -p 3262)
ii_login "$iqn1" 127.0.0.1:3260 >/dev/null
ii_login "$iqn2" 127.0.0.1:3262 >/dev/null
wait_for "2 disks on each session" 30 eval 'test "$(ii_disks "$iqn1" | wc -l)$(ii_disks "$iqn2" | wc -l)" = 22'
ii list
[ "$(ii_host "$iqn1")" != "$(ii_host "$iqn2")" ] || die "both sessions on one SCSI host"
pids=()
for d in $(ii_disks "$iqn1") $(ii_disks "$iqn2"); do
  fio --name="multi-$(basename "$d")" --filename="$d" --direct=1 --ioengine=libaio --rw=randwrite --bs=16k \
    --iodepth=8 --size="${mib}m" --verify=crc32c --verify_fatal=1 --do_verify=1 \
    --output="/tmp/multi-$(basename "$d").txt" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || die "a concurrent fio job failed"; done
grep -L "err= 0" /tmp/multi-*.txt | grep . && die "fio reported errors"
log "4 disks on 2 sessions verified concurrently (${mib} MiB each)"
ii logout --all
[ -z "$(ii_disks "$iqn1")$(ii_disks "$iqn2")" ] || die "disks left after logout --all"
rmmod iscsi_init
dmesg_clean
