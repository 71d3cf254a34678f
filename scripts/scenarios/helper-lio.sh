# helper-lio: the helper against LIO in the guest (the checks of its tgtd
# integration tests): discovery; login --check with no auth, one-way CHAP and
# mutual CHAP; a wrong secret fails with the authentication exit code and one
# line; CRC32C digests when both sides ask for them; discovery CHAP. No module
# is loaded: --check logs in and out in userland.
p=127.0.0.1:3260
open_iqn=$(lio_setup -t iqn.2003-01.org.linux-iscsi.guest:open -l 1 -s 16 -c "" -m "")
chap_iqn=$(lio_setup -t iqn.2003-01.org.linux-iscsi.guest:chap -l 1 -s 16 -c "guest-i:secret-one-234" -m "")
mutual_iqn=$(lio_setup -t iqn.2003-01.org.linux-iscsi.guest:mutual -l 1 -s 16 \
  -c "guest-i:secret-one-234" -m "guest-t:secret-two-567")
! grep -q '^iscsi_init ' /proc/modules || die "module must not be loaded for --check"

ii discover -p "$p" | tee /tmp/disc
for t in "$open_iqn" "$chap_iqn" "$mutual_iqn"; do grep -q "$t" /tmp/disc || die "discovery misses $t"; done
ii discover -p "$p" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d)' >/dev/null \
  || die "discover --json is not JSON"

ii login --check -T "$open_iqn" -p "$p" | tee /tmp/open
ii login --check -T "$chap_iqn" -p "$p" -u guest-i -s secret-one-234 | tee /tmp/chap
grep -qi "chap" /tmp/chap || die "one-way CHAP not reported"
for alg in MD5 SHA-1 SHA-256 SHA3-256; do
  ii login --check -T "$mutual_iqn" -p "$p" -u guest-i -s secret-one-234 -U guest-t -S secret-two-567 \
    --chap-algs "$alg" | tee /tmp/mutual
  grep -qi "mutual CHAP ($alg)" /tmp/mutual || die "mutual CHAP with $alg not reported"
done

set +e
ii login --check -T "$chap_iqn" -p "$p" -u guest-i -s wrong-secret-000 >/tmp/wrong.out 2>/tmp/wrong.err
rc=$?
set -e
cat /tmp/wrong.err
[ "$rc" = 5 ] || die "wrong secret: exit $rc, want 5 (authentication)"
[ "$(wc -l </tmp/wrong.err)" = 1 ] || die "wrong secret: want exactly one line on stderr"
grep -q "authentication failed" /tmp/wrong.err || die "wrong secret: message does not say authentication failed"

ii login --check -T "$open_iqn" -p "$p" --header-digest CRC32C --data-digest CRC32C | tee /tmp/dig
grep -q "HeaderDigest.*CRC32C" /tmp/dig && grep -q "DataDigest.*CRC32C" /tmp/dig || die "digests not CRC32C"

# Discovery CHAP (LIO's discovery_auth).
d=$CFS/iscsi/discovery_auth
printf '%s' disc-user >"$d/userid"; printf '%s' disc-secret-890 >"$d/password"
echo 1 >"$d/enforce_discovery_auth"
set +e; ii discover -p "$p" >/dev/null 2>/tmp/disc.err; rc=$?; set -e
# LIO drops the connection (rather than a Login Response 0x0201) when the
# initiator offers no CHAP: a network error (4) or an authentication error (5).
cat /tmp/disc.err
[ "$rc" = 5 ] || [ "$rc" = 4 ] || die "discovery without CHAP: exit $rc, want 4 or 5"
ii discover -p "$p" -u disc-user -s disc-secret-890 | grep -q "$open_iqn" || die "discovery CHAP failed"
echo 0 >"$d/enforce_discovery_auth"
for t in "$open_iqn" "$chap_iqn" "$mutual_iqn"; do lio_teardown "$t"; done
dmesg_clean
