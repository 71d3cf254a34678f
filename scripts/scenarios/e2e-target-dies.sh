# e2e-target-dies: the target dies mid-I/O (its TPG is disabled): fio
# fails with I/O errors, but nothing hangs or oopses, and logout and rmmod are
# clean afterwards.
iqn=$(lio_setup -l 1 -s 256)
disk=$(ii_login "$iqn" 127.0.0.1:3260)
fio --name=dies --filename="$disk" --direct=1 --ioengine=libaio --rw=randrw --bs=64k --iodepth=16 \
  --size=256m --time_based --runtime=300 --output=/tmp/dies.txt &
fio_pid=$!
sleep 10
log "disabling the target's TPG"
lio_disable "$iqn"
# fio must end by itself with errors, well before its runtime.
end=$((SECONDS + 180))
while kill -0 "$fio_pid" 2>/dev/null; do
  ((SECONDS < end)) || { kill -9 "$fio_pid"; die "fio still running 180 s after the target died"; }
  sleep 1
done
if wait "$fio_pid"; then die "fio succeeded although the target died"; fi
log "fio failed as it should: $(grep -m1 -o 'err=[^,]*' /tmp/dies.txt || true)"
wait_for "the session to be failed" 60 grep -qx failed "/sys/class/scsi_host/host$(ii_host "$iqn")/iscsi_state"
ii list || true
ii logout -T "$iqn"
rmmod iscsi_init
dmesg_clean
