# demo (README's first command): an LIO target in the guest, a login with the
# iscsi-init helper (the socket handed to iscsi_init.ko), a filesystem on the
# iSCSI disk written and read back, `iscsi-init list`, logout.
iqn=$(lio_setup -l 1 -s 128)
log "LIO target $iqn on 127.0.0.1:3260"
insmod "$ISCSI_INIT_KO"
ii discover -p 127.0.0.1:3260
disk=$(ii_login "$iqn" 127.0.0.1:3260)
log "iSCSI disk: $disk"
fs_check "$disk"
ii list
ii logout -T "$iqn"
rmmod iscsi_init
dmesg_clean
log "demo OK"
