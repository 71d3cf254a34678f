# e2e-window1: a command window of 1, as NetBSD's target opens after login
# (MaxCmdSN = ExpCmdSN, opened by one with each status): LIO with its TPG's
# default_cmdsn_depth at 1. The module sends one command at a time and
# nothing stalls: `list` shows ExpCmdSN = MaxCmdSN, and the fio verify jobs
# (4k randwrite QD32, 1M write QD8, E2E_WINDOW1_MIB MiB each, default 8)
# complete with 0 errors.
iqn=$(lio_setup -t iqn.2003-01.org.linux-iscsi.guest:window1 -l 1 -s 64 -A default_cmdsn_depth=1)
disk=$(ii_login "$iqn" 127.0.0.1:3260)
ii list | tee /tmp/window1.list
read -r _ exp _ max <<<"$(grep -o 'ExpCmdSN [0-9]* MaxCmdSN [0-9]*' /tmp/window1.list)"
[ -n "$exp" ] && [ "$exp" = "$max" ] || die "the command window is not 1 (ExpCmdSN $exp, MaxCmdSN $max)"
log "window of 1: ExpCmdSN $exp MaxCmdSN $max"
fio_verify "$disk" "${E2E_WINDOW1_MIB:-8}"
ii list | grep -o 'ExpCmdSN [0-9]* MaxCmdSN [0-9]*'
ii logout -T "$iqn"
rmmod iscsi_init
dmesg_clean
