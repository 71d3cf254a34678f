# Guest side of capture-lio.sh (a qemu-test.sh scenario).
# InitialR2T=No on the TPG: LIO's default (Yes) wins the OR negotiation, and
# the digest session is meant to carry unsolicited Data-Out.
iqn=$(lio_setup -t iqn.2026-11.test:codec-capture -l 2 -s 1 -c "" -m "" -P InitialR2T=No)
python3 "$REPO/codec/tests/capture/iscsi_capture.py" 127.0.0.1 3260 "$iqn" /out \
  "LIO (Linux $(uname -r) iscsi_target_mod)" lio "LUN 0 and LUN 1 = 1 MiB rd_mcp ramdisks"
lio_teardown "$iqn"
