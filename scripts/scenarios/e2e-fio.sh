# e2e-fio: fio with verify=crc32c, verify_fatal=1, do_verify=1:
# a 4k randwrite job at QD32 and a 1M sequential write job at QD8, 16 MiB
# each by default (E2E_FIO_MIB), through iscsi-init. Zero errors.
iqn=$(lio_setup -l 1 -s 256)
disk=$(ii_login "$iqn" 127.0.0.1:3260)
fio_verify "$disk" "${E2E_FIO_MIB:-16}"
ii list --stats
ii logout -T "$iqn"
rmmod iscsi_init
dmesg_clean
