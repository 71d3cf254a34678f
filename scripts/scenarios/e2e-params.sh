# e2e-params: the fio verify of e2e-fio with other parameters:
#  a. HeaderDigest and DataDigest CRC32C;
#  b. InitialR2T=Yes and ImmediateData=No (every write byte solicited by R2T);
#  c. MaxBurstLength 8 KiB, FirstBurstLength 4 KiB, MaxRecvDataSegmentLength
#     4 KiB both ways, MaxOutstandingR2T 4: many R2Ts and PDUs per command.
# Each variant checks in sysfs that the parameters were really negotiated,
# and that the disk has stable pages (queue/stable_writes) exactly when
# DataDigest is on; the digests variant then clears stable_writes and checks
# that writes go out from a copy (iscsi_tx_copied_bytes) without a digest
# error. Last, the target turns DataDigest on between the first login and a
# recovery's: the disk, scanned without it, has no stable pages, and its
# writes must go out from a copy.
# 8 MiB per job and variant by default (E2E_PARAMS_MIB): three variants at
# 256 MiB take about 25 minutes on the debug kernel under TCG, beyond the
# per-scenario limit.
mib=${E2E_PARAMS_MIB:-8}
# LIO declares its MaxXmitDataSegmentLength as its MaxRecvDataSegmentLength.
# An explicit ACL, so that LIO's Data-Out timeout can be raised from 3 s to
# 30 s: with every write byte solicited, 8 writes of 1 MiB queue 32 R2Ts of
# 256 KiB, sent in order; at the 2-3 MiB/s of this path on the debug kernel
# under TCG the last burst starts after more than 3 s.
init=iqn.2026-12.org.iscsi-init:e2e-params
iqn=$(lio_setup -l 1 -s 256 -i "$init" -T 30 -P MaxOutstandingR2T=4 -P MaxRecvDataSegmentLength=4096 \
  -P MaxXmitDataSegmentLength=4096)
# verify_copied WHAT HOSTDIR DISK: fio verify on DISK, whose writes must go
# out from a copy (iscsi_tx_copied_bytes grows) with no connection failure.
verify_copied() {
  local what=$1 h=$2 disk=$3 rec
  rec=$(cat "$h/iscsi_recoveries")
  fio_verify "$disk" "$mib"
  [ "$(cat "$h/iscsi_tx_copied_bytes")" -gt 0 ] || die "$what: no write data was sent from a copy"
  [ "$(cat "$h/iscsi_recoveries")" = "$rec" ] \
    || die "$what: the connection failed while sending from a copy: $(cat "$h/iscsi_last_failure")"
  log "$what: $(cat "$h/iscsi_tx_copied_bytes") bytes sent from a copy"
}
variant() { # name, expected sysfs lines..., -- login args...
  local name=$1; shift
  local want=()
  while [ "$1" != -- ]; do want+=("$1"); shift; done
  shift
  log "variant $name: $*"
  disk=$(ii_login "$iqn" 127.0.0.1:3260 --initiator-name "$init" "$@")
  local h=/sys/class/scsi_host/host$(ii_host "$iqn") q=/sys/block/${disk#/dev/}/queue/stable_writes
  local p=$h/iscsi_params w
  for w in "${want[@]}"; do grep -qx "$w" "$p" || { cat "$p"; die "variant $name: $w not negotiated"; }; done
  # Stable pages under writeback exactly when a DataDigest is computed over
  # them (BLK_FEAT_STABLE_WRITES, as iscsi_tcp sets it).
  local sw=0
  grep -qx DataDigest=CRC32C "$p" && sw=1
  [ "$(cat "$q")" = "$sw" ] || die "variant $name: ${disk#/dev/} stable_writes is $(cat "$q"), want $sw"
  fio_verify "$disk" "$mib"
  [ "$(cat "$h/iscsi_tx_copied_bytes")" = 0 ] \
    || die "variant $name: $(cat "$h/iscsi_tx_copied_bytes") bytes sent from a copy, want 0"
  if [ "$sw" = 1 ]; then
    # Without stable pages a DataDigest is computed over a copy of the data,
    # sent from that copy; no digest error may fail the connection.
    echo 0 > "$q"
    verify_copied "variant $name: stable_writes 0" "$h" "$disk"
    echo 1 > "$q"
  fi
  ii list --stats | sed 's/^/    /'
  ii logout -T "$iqn"
}
# 64 KiB bursts: LIO allows 3 s per R2T's Data-Out (a per-ACL setting that a
# demo-mode target cannot raise), and CRC32C over 256 KiB bursts queued for 8
# large writes can take longer than that on a loaded TCG host.
variant digests HeaderDigest=CRC32C DataDigest=CRC32C MaxBurstLength=65536 -- \
  --header-digest CRC32C --data-digest CRC32C -o MaxBurstLength=65536
variant solicited InitialR2T=Yes ImmediateData=No -- -o InitialR2T=Yes -o ImmediateData=No
variant small-bursts MaxBurstLength=8192 FirstBurstLength=4096 MaxRecvDataSegmentLength=4096 \
  MaxXmitDataSegmentLength=4096 MaxOutstandingR2T=4 -- \
  -o MaxBurstLength=8192 -o FirstBurstLength=4096 -o MaxRecvDataSegmentLength=4096 -o MaxOutstandingR2T=4
# DataDigest negotiated only by a recovery's login: the target turns it on
# between two logins of one session (the helper offers CRC32C,None). The disk
# was scanned without it, so without stable pages; writes must then go out
# from a copy, with no digest error.
tpg=$CFS/iscsi/$iqn/tpgt_1/param/DataDigest
echo None >"$tpg"
disk=$(ii_login "$iqn" 127.0.0.1:3260 --initiator-name "$init" --data-digest CRC32C,None)
h=/sys/class/scsi_host/host$(ii_host "$iqn")
grep -qx DataDigest=None "$h/iscsi_params" || die "digest-on-recovery: DataDigest was negotiated at the first login"
dpid=$(ii_daemon)
echo CRC32C >"$tpg"
rec=$(cat "$h/iscsi_recoveries")
ii_kill 3260
wait_for "the recovery's login" 30 sh -c "[ \$(cat $h/iscsi_recoveries) -gt $rec ] && grep -qx logged_in $h/iscsi_state"
grep -qx DataDigest=CRC32C "$h/iscsi_params" || { cat "$h/iscsi_params"; die "digest-on-recovery: no DataDigest after the recovery"; }
[ "$(cat "/sys/block/${disk#/dev/}/queue/stable_writes")" = 0 ] || die "digest-on-recovery: stable_writes changed"
verify_copied digest-on-recovery "$h" "$disk"
kill "$dpid"; wait "$dpid" 2>/dev/null || true
ii logout -T "$iqn"
echo CRC32C,None >"$tpg"
rmmod iscsi_init
dmesg_clean
