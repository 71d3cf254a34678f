# module: load iscsi_init.ko, check /dev/iscsi_init exists with mode 0600 root,
# unload, and check dmesg is clean.
[ -f "$ISCSI_INIT_KO" ] || die "$ISCSI_INIT_KO not built (run make)"
dmesg -C
insmod "$ISCSI_INIT_KO"
grep -q '^iscsi_init ' /proc/modules || die "module not listed after insmod"
wait_for "/dev/iscsi_init" 5 test -c /dev/iscsi_init
mode=$(stat -c '%a %U %G' /dev/iscsi_init)
log "/dev/iscsi_init: $mode"
[ "$mode" = "600 root root" ] || die "/dev/iscsi_init has mode/owner '$mode', want '600 root root'"
rmmod iscsi_init
[ ! -e /dev/iscsi_init ] || die "/dev/iscsi_init still there after rmmod"
! grep -q '^iscsi_init ' /proc/modules || die "module still loaded"
dmesg | sed 's/^/  dmesg: /'
dmesg_clean
log "module OK"
