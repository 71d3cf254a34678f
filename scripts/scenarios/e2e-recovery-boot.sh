# e2e-recovery-boot: boot-time logins. Of three config records, the two with
# startup = "automatic" come up when the daemon starts the way
# systemd/iscsi-init.service starts it (its ExecStart line, run with the
# built helper as the program), and the daemon then runs with no
# capabilities (CapEff 0).
insmod "$ISCSI_INIT_KO"
iqn=$(lio_setup -l 1 -s 16)
: >/tmp/daemon.log
a=$(lio_setup -t iqn.2003-01.org.linux-iscsi.guest:auto-a -p 3263 -l 1 -s 16)
b=$(lio_setup -t iqn.2003-01.org.linux-iscsi.guest:auto-b -p 3264 -l 1 -s 16)
mkdir -p /etc/iscsi-init
cat >/etc/iscsi-init/config.toml <<TOML
[targets.a]
iqn = "$a"
portal = "127.0.0.1:3263"
startup = "automatic"

[targets.b]
iqn = "$b"
portal = "127.0.0.1:3264"
startup = "automatic"

[targets.c]
iqn = "$iqn"
portal = "127.0.0.1:3260"
TOML
exec_start=$(sed -n 's/^ExecStart=//p' "$REPO/systemd/iscsi-init.service")
read -r -a cmd <<<"$exec_start"
cmd[0]=${ISCSI_INIT_BIN:-$REPO/target/debug/iscsi-init}
"${cmd[@]}" >>/tmp/daemon.log 2>&1 &
dpid=$!
nsessions() { ii list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sessions"]))'; }
end=$((SECONDS + 60))
until [ "$(nsessions)" = 2 ]; do
  ((SECONDS < end)) || { cat /tmp/daemon.log; ii list; die "the daemon did not log in the two automatic records in 60 s"; }
  sleep 0.5
done
ii_host "$a" >/dev/null && ii_host "$b" >/dev/null || die "the automatic sessions are not to a and b"
grep CapEff "/proc/$dpid/status" | grep -q "0000000000000000" || die "the daemon kept capabilities: $(grep Cap "/proc/$dpid/status")"
log "boot: records a and b logged in by '$exec_start'; the daemon runs with no capabilities"
kill "$dpid"; wait "$dpid" 2>/dev/null || true
ii logout --all
rm -f /etc/iscsi-init/config.toml

cat /tmp/daemon.log
rmmod iscsi_init
dmesg_clean
