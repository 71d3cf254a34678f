# e2e-login: discovery, then a mutual-CHAP login with the helper:
# /dev/sdX appears, and sg_inq, sg_readcap and sg_luns answer correctly; the
# RFC 7143 states are in sysfs, and --cmd-timeout is each disk's timeout.
iqn=$(lio_setup -l 2 -s 64 -c "guest-init:init-secret-123" -m "guest-tgt:target-secret-456")
insmod "$ISCSI_INIT_KO"
ii discover -p 127.0.0.1:3260 | tee /tmp/disc
grep -q "$iqn" /tmp/disc || die "discovery did not list $iqn"
disk=$(ii_login "$iqn" 127.0.0.1:3260 -u guest-init -s init-secret-123 -U guest-tgt -S target-secret-456 --cmd-timeout 47)
log "logged in with mutual CHAP: $disk"
ii list
host=$(ii_host "$iqn")
for a in iscsi_session_id iscsi_state iscsi_session_state iscsi_conn_state iscsi_target_name iscsi_portal \
    iscsi_initiator_name; do
  log "sysfs $a: $(cat /sys/class/scsi_host/host"$host"/$a)"
done
grep -q '^logged_in$' /sys/class/scsi_host/host"$host"/iscsi_state || die "sysfs state is not logged_in"
grep -qx 'Q3 LOGGED_IN' /sys/class/scsi_host/host"$host"/iscsi_session_state || die "session state is not Q3 LOGGED_IN"
grep -qx 'S5 LOGGED_IN' /sys/class/scsi_host/host"$host"/iscsi_conn_state || die "connection state is not S5 LOGGED_IN"
for d in $(ii_disks "$iqn"); do
  t=$(cat "/sys/block/${d#/dev/}/device/timeout")
  [ "$t" = 47 ] || die "$d: command timeout $t s, want the 47 s of --cmd-timeout"
done
log "command timeout of every disk: 47 s"
sg_inq "$disk" | tee /tmp/inq
grep -q "LIO-ORG" /tmp/inq || die "sg_inq: vendor is not LIO-ORG"
sg_readcap "$disk" | tee /tmp/cap
grep -q "Last LBA=131071" /tmp/cap || die "sg_readcap: wrong capacity (want 64 MiB)"
sg_luns "$disk" | tee /tmp/luns
grep -q "Lun list length = 16" /tmp/luns || die "sg_luns: want 2 LUNs"
[ "$(ii_disks "$iqn" | wc -l)" = 2 ] || die "want 2 disks for 2 LUNs, got: $(ii_disks "$iqn" | tr '\n' ' ')"
dd if=/dev/urandom of=/tmp/pattern bs=1M count=8 status=none
dd if=/tmp/pattern of="$disk" bs=1M oflag=direct status=none
echo 3 >/proc/sys/vm/drop_caches
cmp /tmp/pattern <(dd if="$disk" bs=1M count=8 iflag=direct status=none) || die "data read back differs"
log "8 MiB written and read back identical"
ii logout -T "$iqn"
[ -z "$(ii_disks "$iqn")" ] || die "disks still present after logout"
rmmod iscsi_init
dmesg_clean
