# e2e-netns: sessions inside network namespaces, and the privilege check.
# Two namespaces joined by a veth pair: the LIO portal 10.99.0.1:3260 lives
# in "iitgt" (created from inside it), the initiator runs in "iiini"; the
# initial namespace has no route to either. `ip netns exec iiini iscsi-init
# login` must give a working disk; after a kill of the connection inside
# iiini, the daemon running in iiini recovers it (a daemon in the initial
# namespace runs too and must leave the session alone); logout is clean.
# Then, as an unprivileged user with the node opened up (mode 0666), every
# ioctl but the version query fails with EPERM and changes nothing.
kmemleak_start
IQN=iqn.2026-12.org.iscsi-init:netns
ip netns add iitgt
ip netns add iiini
ip link add ii-veth0 type veth peer name ii-veth1
ip link set ii-veth0 netns iitgt
ip link set ii-veth1 netns iiini
ip netns exec iitgt ip addr add 10.99.0.1/24 dev ii-veth0
ip netns exec iiini ip addr add 10.99.0.2/24 dev ii-veth1
for ns in iitgt iiini; do
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" sh -c 'ip link set "$(ls /sys/class/net | grep ii-veth)" up'
done
netns_cleanup() {
  ip netns del iiini 2>/dev/null || true
  ip netns del iitgt 2>/dev/null || true
}
trap netns_cleanup EXIT
# The LIO portal: LIO opens its listening socket in the namespace of the
# process that creates the np directory.
lio_setup -t "$IQN" -s 128 -a 127.0.0.1:3299 >/dev/null
tpg=$CFS/iscsi/$IQN/tpgt_1
# (`ip netns exec` mounts a sysfs of its own: configfs is mounted again there.)
ip netns exec iitgt sh -c "mount -t configfs none /sys/kernel/config && mkdir '$tpg/np/10.99.0.1:3260'"
rmdir "$tpg/np/127.0.0.1:3299"
wait_for "the portal inside iitgt" 10 ip netns exec iiini bash -c 'echo >/dev/tcp/10.99.0.1/3260'
if timeout 3 bash -c 'echo >/dev/tcp/10.99.0.1/3260' 2>/dev/null; then
  die "the portal is reachable from the initial namespace"
fi
grep -q '^iscsi_init ' /proc/modules || insmod "$ISCSI_INIT_KO"
# Discovery and login from inside iiini.
ip netns exec iiini "$REPO/target/debug/iscsi-init" discover -p 10.99.0.1 | grep -q "$IQN" || die "discovery inside iiini"
ip netns exec iiini "$REPO/target/debug/iscsi-init" login -T "$IQN" -p 10.99.0.1 --replacement-timeout 60 >&2
wait_for "the LUN scan" 30 eval 'test -n "$(ii_disks "$IQN")"'
disk=$(ii_disks "$IQN" | sed -n 1p)
sysh=/sys/class/scsi_host/host$(ii_host "$IQN")
log "logged in from iiini: $disk, portal $(cat "$sysh/iscsi_portal")"
fio_verify "$disk" "${E2E_NETNS_MIB:-4}"
# Recovery inside the namespace: a daemon in iiini and one in the initial
# namespace (which must not take the session).
"$REPO/target/debug/iscsi-init" daemon >>/tmp/daemon-init.log 2>&1 & d0=$!
ip netns exec iiini "$REPO/target/debug/iscsi-init" daemon >>/tmp/daemon-ns.log 2>&1 & d1=$!
wait_for "both daemons" 30 bash -c 'grep -q "daemon: started" /tmp/daemon-init.log && grep -q "daemon: started" /tmp/daemon-ns.log'
stop=/tmp/netns.stop; rm -f "$stop"
fio_rounds "$disk" "$stop" /tmp/netns &
rounds=$!
sleep 3
for i in 1 2 3; do
  read -r rec <"$sysh/iscsi_recoveries"
  ip netns exec iiini ss -K -t -n -H dst 10.99.0.1 dport = :3260 >/dev/null
  wait_for "recovery $i inside iiini" 60 eval 'read -r r <"$sysh/iscsi_recoveries" && read -r st <"$sysh/iscsi_state" && [ "$r" -gt "$rec" ] && [ "$st" = logged_in ]'
  sleep 2
done
touch "$stop"; wait "$rounds"
fio_rounds_check /tmp/netns
grep -q "recovered after" /tmp/daemon-ns.log || { cat /tmp/daemon-ns.log; die "the daemon in iiini did not recover the session"; }
if grep -q "recovered after" /tmp/daemon-init.log; then cat /tmp/daemon-init.log; die "the initial namespace's daemon took the session"; fi
grep -q "another network namespace" /tmp/daemon-init.log || { cat /tmp/daemon-init.log; die "the initial daemon did not say why it left the session"; }
log "3 kills inside iiini recovered by its daemon; the initial namespace's daemon left them alone"
kill "$d0" "$d1"; wait "$d0" "$d1" 2>/dev/null || true

# Unprivileged callers: EPERM from everything but the version query.
chmod 0666 /dev/iscsi_init
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all "$@"; }
out=$(nobody "$REPO/target/debug/iscsi-init" list 2>&1) && die "list worked unprivileged: $out"
echo "$out" | grep -q "IOC_SESSION_LIST failed: permission denied" || die "unprivileged list: $out"
out=$(nobody "$REPO/target/debug/iscsi-init" logout --all 2>&1) && die "logout --all worked unprivileged: $out"
echo "$out" | grep -q "permission denied" || die "unprivileged logout: $out"
# The raw ioctls, whatever the helper checks first.
cat >/tmp/ioctl-probe.py <<'PY'
import fcntl, os, struct, sys, errno
fd = os.open("/dev/iscsi_init", os.O_RDWR)
def ioc(d, nr, size): return (d << 30) | (size << 16) | (0xE6 << 8) | nr
hdr = bytearray(8)
fcntl.ioctl(fd, ioc(2, 0, 8), hdr)
version = struct.unpack("<II", hdr)[0]
bad = []
for name, d, nr, size in [("bind", 3, 1, 904), ("remove", 1, 2, 32), ("list", 3, 3, 40), ("stats", 3, 4, 264), ("event", 3, 5, 64)]:
    buf = bytearray(size)
    buf[0:8] = struct.pack("<II", version, size)
    try:
        fcntl.ioctl(fd, ioc(d, nr, size), buf)
        bad.append(name + ": succeeded")
    except OSError as e:
        if e.errno != errno.EPERM:
            bad.append("%s: %s" % (name, errno.errorcode.get(e.errno, e.errno)))
print("version %d; %s" % (version, "; ".join(bad) if bad else "all others EPERM"))
sys.exit(1 if bad else 0)
PY
out=$(nobody /usr/bin/python3 /tmp/ioctl-probe.py 2>&1) || die "unprivileged ioctls: $out"
log "unprivileged: $out"
chmod 0600 /dev/iscsi_init
[ "$(cat "$sysh/iscsi_state")" = logged_in ] || die "the unprivileged calls changed the session"
ii logout -T "$IQN"
[ -z "$(ii_disks "$IQN")" ] || die "the disk is still there after logout"
netns_cleanup
trap - EXIT
rmmod iscsi_init
kmemleak_check
dmesg_clean
