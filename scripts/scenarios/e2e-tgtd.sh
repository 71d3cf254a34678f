# e2e-tgtd: a second, independent target: tgtd in the guest on
# another port, through the checks of e2e-login, e2e-fio and e2e-fs (mutual CHAP login + SCSI checks, fio
# verify of E2E_TGTD_MIB MiB per job, default 8, filesystem).
iqn=iqn.2026-11.org.iscsi-init:tgtd1
tgtd_setup 3261 "$iqn" 256 "tgtd-init:init-secret-789" "tgtd-target:target-secret-012"
insmod "$ISCSI_INIT_KO"
ii discover -p 127.0.0.1:3261 | tee /tmp/disc
grep -q "$iqn" /tmp/disc || die "discovery did not list $iqn"
# tgtd numbers CHAP algorithms differently from RFC/LIO/open-iscsi beyond MD5.
disk=$(ii_login "$iqn" 127.0.0.1:3261 -u tgtd-init -s init-secret-789 -U tgtd-target -S target-secret-012 --chap-algs MD5)
sg_inq "$disk" | tee /tmp/inq
grep -q "IET" /tmp/inq || die "sg_inq: vendor is not IET (tgtd)"
sg_readcap "$disk" | grep -q "Last LBA=524287" || die "sg_readcap: want 256 MiB"
sg_luns "$disk" | tee /tmp/luns
grep -q "2 lun entries" /tmp/luns || die "sg_luns: want LUN 0 (controller) and LUN 1"
fio_verify "$disk" "${E2E_TGTD_MIB:-8}"
fs_check "$disk"
ii logout -T "$iqn"
rmmod iscsi_init
targets_stop
dmesg_clean
