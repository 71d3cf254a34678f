# e2e-istgt: a third target, istgt (Debian's istgt 0.4), in the guest:
# discovery, a mutual-CHAP login with our default CHAP_A offer (istgt picks
# MD5) handed to the module, sg_inq, fio verify (E2E_ISTGT_MIB MiB per job,
# default 8: istgt writes 4k at about 240 KiB/s in the debug guest) and ext4.
iqn=$(istgt_setup 3265 disk1 128 "ist-init:init-secret-345" "ist-target:target-secret-678")
insmod "$ISCSI_INIT_KO"
ii discover -p 127.0.0.1:3265 | tee /tmp/disc
grep -q "$iqn" /tmp/disc || die "discovery did not list $iqn"
disk=$(ii_login "$iqn" 127.0.0.1:3265 -u ist-init -s init-secret-345 -U ist-target -S target-secret-678)
ii list | tee /tmp/list
sg_inq "$disk" | tee /tmp/inq
grep -q "iSCSI DISK" /tmp/inq || die "sg_inq: product is not istgt's \"iSCSI DISK\""
fio_verify "$disk" "${E2E_ISTGT_MIB:-8}"
fs_check "$disk"
ii logout -T "$iqn"
rmmod iscsi_init
targets_stop
dmesg_clean
