# e2e-fs: mkfs.ext4, mount, copy a tree of files, sync, drop
# caches, compare sha256 sums, umount.
iqn=$(lio_setup -l 1 -s 256)
disk=$(ii_login "$iqn" 127.0.0.1:3260)
fs_check "$disk"
ii logout -T "$iqn"
rmmod iscsi_init
dmesg_clean
