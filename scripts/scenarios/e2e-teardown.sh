# e2e-teardown: logout, rmmod with a session still up, and a clean
# kernel log throughout, kmemleak scan included.
kl=/sys/kernel/debug/kmemleak
[ -w "$kl" ] || die "kmemleak not available"
echo scan >"$kl"; echo clear >"$kl"
iqn=$(lio_setup -l 1 -s 64)
disk=$(ii_login "$iqn" 127.0.0.1:3260)
dd if=/dev/urandom of="$disk" bs=1M count=16 oflag=direct status=none
ii logout -T "$iqn"
[ -z "$(ii list --json | grep -o '"session_id"')" ] || die "session listed after logout"
# A session still up when the module goes: rmmod logs it out.
disk=$(ii_login "$iqn" 127.0.0.1:3260)
dd if="$disk" of=/dev/null bs=1M count=16 iflag=direct status=none
dmesg_mark
rmmod iscsi_init
[ ! -e "$disk" ] || die "$disk still there after rmmod"
grep -q "logged out" <(dmesg_new) || { dmesg | tail -n 30; die "no logout logged by rmmod"; }
# Unreferenced objects need two scans to be reported.
echo scan >"$kl"; sleep 5; echo scan >"$kl"
if grep -q unreferenced "$kl"; then
  cat "$kl"
  die "kmemleak reports leaks"
fi
log "kmemleak: no leaks"
dmesg_clean
