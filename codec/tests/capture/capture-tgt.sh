#!/usr/bin/env bash
# Re-create codec/tests/data/tgt-*.txt: start a private tgtd on loopback
# (non-default portal and control port), run iscsi_capture.py against it,
# stop tgtd. Needs root and the Debian `tgt` package.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../data}
port=${PORT:-3271}
ctl=${CTL:-17}
tmp=$(mktemp -d)
iqn=iqn.2026-11.test:codec-capture

tgtd -f --iscsi portal=127.0.0.1:$port -C "$ctl" >"$tmp/tgtd.log" 2>&1 &
pid=$!
cleanup() {
  # tgtd ignores SIGTERM while targets exist: go offline, delete, then stop.
  tgtadm -C "$ctl" --op update --mode sys --name State -v offline >/dev/null 2>&1 || true
  tgtadm -C "$ctl" --lld iscsi --op delete --mode target --tid 1 --force >/dev/null 2>&1 || true
  tgtadm -C "$ctl" --op delete --mode system >/dev/null 2>&1 || true
  for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "${KEEPLOG:-}" ] && cp "$tmp/tgtd.log" /tmp/tgtd-capture.log
  rm -rf "$tmp"
}
trap cleanup EXIT
for _ in $(seq 50); do tgtadm -C "$ctl" --lld iscsi --op show --mode sys >/dev/null 2>&1 && break; sleep 0.1; done
truncate -s 1M "$tmp/lun.img"
tgtadm -C "$ctl" --lld iscsi --op new --mode target --tid 1 -T "$iqn"
tgtadm -C "$ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$tmp/lun.img"
tgtadm -C "$ctl" --lld iscsi --op bind --mode target --tid 1 -I ALL
# tgt answers HeaderDigest=None even when only CRC32C is offered unless allowed:
tgtadm -C "$ctl" --lld iscsi --op update --mode target --tid 1 -n HeaderDigest -v CRC32C,None
tgtadm -C "$ctl" --lld iscsi --op update --mode target --tid 1 -n DataDigest -v CRC32C,None
# Unsolicited Data-Out in the digest session needs InitialR2T=No on both sides
# (iscsi_capture.py now honours the answer; tgt's default is Yes).
tgtadm -C "$ctl" --lld iscsi --op update --mode target --tid 1 -n InitialR2T -v No
version="tgt $(tgtd --version 2>&1 | head -1)"
python3 "$here/iscsi_capture.py" 127.0.0.1 "$port" "$iqn" "$out" "$version"
