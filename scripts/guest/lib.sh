# Shell library for scenarios (sourced in the guest). Functions:
#   lio_setup [-t IQN] [-l LUNS] [-s MIB] [-p PORT] [-i INITIATOR] [-c USER:SECRET] [-m USER:SECRET]
#       An LIO iSCSI target on 127.0.0.1:PORT (default 3260) with LUNS ramdisk
#       LUNs (rd_mcp) of MIB MiB each (defaults: $LIO_LUNS, 256). Demo mode
#       (any initiator) unless -i names an initiator, which gets an ACL. -c
#       requires CHAP with these credentials, -m adds mutual CHAP (the target's).
#       Defaults for -l/-c/-m come from qemu-test.sh's --luns/--chap/--mutual.
#       Prints the IQN.
#       -P KEY=VALUE sets a TPG login parameter (tpgt_1/param/KEY), repeatable.
#   lio_teardown IQN          remove that target and its backstores
#   lio_disable IQN           disable the TPG (the target stops answering)
#   disk_for_host HOSTNO      /dev/sdX of the disks of a SCSI host, one per line
#   wait_for DESC SECONDS CMD...   retry CMD until it succeeds
#   dmesg_clean               fail if dmesg shows BUG/WARNING/Oops/KASAN/...
#   cleanup_all               log out and remove everything scenarios set up
#   log MSG                   timestamped line in the scenario log
#   fio_verify DISK [MIB]     4k randwrite QD32 and 1M write QD8 with crc32c verify
#   fs_check DISK             mkfs.ext4, copy a tree, sync, drop caches, compare sha256
#   tgtd_setup PORT IQN MIB [USER:SECRET [MUSER:MSECRET]]   a tgtd target in the guest
#   lio_enable IQN            enable the TPG again
#   ii_daemon                 start `iscsi-init daemon` (log /tmp/daemon.log), print its pid
#   ii_kill PORT              kill our side of the TCP connections to PORT (ss -K)
#   kill_and_time PORT FILE GOOD   kill as ii_kill, then print the seconds from the
#                             moment FILE stops reading GOOD (the failure shows) to
#                             when it reads GOOD again (recovered); fork-free polling
#   until_reads FILE VALUE SECS [T0]   poll FILE until it reads VALUE, print the seconds
#                             (since T0, an $EPOCHREALTIME; default: the call)
#   ii_recoveries IQN         the session's recovery count (sysfs iscsi_recoveries)
#   ii_stat IQN JQ_PATH       one figure of `list --stats --json` for that session
#   ii_stats IQN JQ_PATH...   several, on one line (one helper run, one jq)
#   fio_rounds DISK STOP OUT  fio verify rounds (4k randwrite QD16, crc32c, E2E_FIO_ROUND_MIB
#                             MiB each, default 2: a round ends soon after STOP) until file STOP exists
#   fio_rounds_check OUT      fail unless every round of fio_rounds ended with 0 errors
#   oi_login IQN PORTAL [NAME=VALUE...]   open-iscsi: start iscsid if needed, set the
#                             node settings given (iscsiadm -o update, e.g.
#                             node.conn[0].iscsi.HeaderDigest=CRC32C), log in, print the disk
#   oi_host IQN               SCSI host number of open-iscsi's session to IQN
#   oi_disks IQN              its /dev/sdX nodes, one per line
#   oi_logout IQN PORTAL      open-iscsi: log out
#   oi_session_state IQN      open-iscsi: the session's state (LOGGED_IN, FAILED, ...)
#   oi_state_file IQN         open-iscsi: the sysfs file of that state
#   percentile P N...         the P-th percentile of the numbers
#   kmemleak_start            forget the leaks already reported (call before the module loads)
#   kmemleak_check            two scans; fail on a leak whose backtrace is in iscsi_init
#                             (others, the target's, are counted and shown, not failed)

# Each exec costs 0.35-1 s in the debug guest under TCG (KASAN, lockdep): the
# commands that polling loops and setup run most are made builtins, from
# bash's loadables (Debian's bash-builtins, installed by scripts/setup.sh),
# where there. Their options are the ones used here (sleep with fractions,
# mkdir -p, ln -s[f], rm -[r]f, cut -c/-d/-f).
if [ -d /usr/lib/bash ]; then
  for _b in sleep mkdir rmdir ln rm cut basename dirname seq; do
    [ -f "/usr/lib/bash/$_b" ] && enable -f "/usr/lib/bash/$_b" "$_b" 2>/dev/null || true
  done
  unset _b
fi

CFS=/sys/kernel/config/target
ISCSI_INIT_KO=${ISCSI_INIT_KO:-$REPO/iscsi_init.ko}
LIO_DEFAULT_IQN=iqn.2003-01.org.linux-iscsi.guest:lio0

log() { local up _; read -r up _ </proc/uptime; printf '[%8s] %s\n' "$up" "$*"; }
# To stderr too: a die inside $(...) must not vanish into the captured output.
# (Through fd 2, not by opening /dev/stderr: that opens the scenario's log
# file again at offset 0 and overwrote its beginning.)
die() { local m; m=$(log "FAILED: $*"); echo "$m"; echo "$m" >&2; exit 1; }

# wait_for DESC SECONDS COMMAND...: runs COMMAND every 0.5 s until it
# succeeds. COMMAND is run again each time: a check with a command
# substitution must be quoted for `eval` (wait_for D 30 eval 'test -n "$(f)"'),
# or "$(f)" would be expanded once, before the first try.
# SECONDS is the time a normal run needs with room to spare; it is
# multiplied by E2E_WAIT_SCALE (default 3), because the same guest runs
# two or three times slower on a loaded CI host. A wait that succeeds
# returns at once, so the scale only delays a failure. (Limits the
# scenarios judge, such as a failover time, are not waits.)
wait_for() {
  local desc=$1 secs=$(( $2 * ${E2E_WAIT_SCALE:-3} )); shift 2
  local end=$(( SECONDS + secs ))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < end )) || die "timed out after ${secs}s waiting for $desc"
    sleep 0.5
  done
}

# lio_serial DEVDIR SEED: a VPD unit serial number for an LIO backstore, as
# targetcli sets one (a UUID, here derived from SEED): without it LIO
# reports no VPD pages (page 0 lists none), so the disk has no WWID.
lio_serial() {
  local h; h=$(echo "$2" | md5sum | cut -c1-32)
  echo "${h:0:8}-${h:8:4}-${h:12:4}-${h:16:4}-${h:20:12}" >"$1/wwn/vpd_unit_serial"
}

lio_setup() {
  local iqn=$LIO_DEFAULT_IQN luns=${LIO_LUNS:-1} mib=256 port=3260 init="" chap=${LIO_CHAP:-} mutual=${LIO_MUTUAL:-}
  local OPTIND opt params=() attribs=() dataout_timeout="" bdev="" portals=()
  while getopts "t:l:s:p:i:c:m:P:A:T:b:a:" opt; do
    case $opt in
      t) iqn=$OPTARG;; l) luns=$OPTARG;; s) mib=$OPTARG;; p) port=$OPTARG;;
      i) init=$OPTARG;; c) chap=$OPTARG;; m) mutual=$OPTARG;; P) params+=("$OPTARG");;
      A) attribs+=("$OPTARG");; T) dataout_timeout=$OPTARG;; b) bdev=$OPTARG;;
      a) portals+=("$OPTARG");;
      *) die "lio_setup: bad option";;
    esac
  done
  [ -d "$CFS" ] || modprobe target_core_mod 2>/dev/null || true
  [ -d "$CFS/iscsi" ] || mkdir -p "$CFS/iscsi"
  # LIO names an HBA <plugin>_<number>: one per target, numbered from its IQN.
  local tag; tag=$(( 16#$(echo "$iqn" | md5sum | cut -c1-6) ))
  local tpg=$CFS/iscsi/$iqn/tpgt_1 i
  mkdir -p "$tpg"
  for ((i = 0; i < luns; i++)); do
    local dev=$CFS/core/rd_mcp_$tag/lun$i
    if [ "$i" = 0 ] && [ -n "$bdev" ]; then
      # LUN 0 on a block device (iblock backstore), e.g. a dm-delay device.
      dev=$CFS/core/iblock_$tag/lun0
      mkdir -p "$dev"
      echo "udev_path=$bdev" >"$dev/control"
    else
      mkdir -p "$dev"
      echo "rd_pages=$(( mib * 256 ))" >"$dev/control"
    fi
    echo 1 >"$dev/enable"
    lio_serial "$dev" "$iqn-$i"
    mkdir -p "$tpg/lun/lun_$i"
    ln -s "$dev" "$tpg/lun/lun_$i/$tag-$i"
  done
  ((${#portals[@]})) || portals=("127.0.0.1:$port")
  local np
  for np in "${portals[@]}"; do mkdir -p "$tpg/np/$np"; done
  local authdir=$tpg/auth
  if [ -n "$init" ]; then
    echo 0 >"$tpg/attrib/generate_node_acls"
    mkdir -p "$tpg/acls/$init"
    for ((i = 0; i < luns; i++)); do
      mkdir -p "$tpg/acls/$init/lun_$i"
      ln -s "$tpg/lun/lun_$i" "$tpg/acls/$init/lun_$i/map"
    done
    # Seconds LIO waits for the Data-Out an R2T asked for (default 3, max 60;
    # at ERL 0 a timeout drops the connection). A per-ACL attribute.
    [ -z "$dataout_timeout" ] || echo "$dataout_timeout" >"$tpg/acls/$init/attrib/dataout_timeout"
    authdir=$tpg/acls/$init/auth
  else
    echo 1 >"$tpg/attrib/generate_node_acls"
    echo 1 >"$tpg/attrib/cache_dynamic_acls"
    echo 0 >"$tpg/attrib/demo_mode_write_protect"
  fi
  if [ -n "$chap" ]; then
    # LIO keeps a trailing newline as part of the value: write none.
    printf '%s' "${chap%%:*}" >"$authdir/userid"
    printf '%s' "${chap#*:}" >"$authdir/password"
    if [ -n "$mutual" ]; then
      printf '%s' "${mutual%%:*}" >"$authdir/userid_mutual"
      printf '%s' "${mutual#*:}" >"$authdir/password_mutual"
    fi
    echo 1 >"$tpg/attrib/authentication"
  else
    echo 0 >"$tpg/attrib/authentication"
  fi
  local kv
  for kv in "${params[@]}"; do printf '%s' "${kv#*=}" >"$tpg/param/${kv%%=*}"; done
  for kv in "${attribs[@]}"; do echo "${kv#*=}" >"$tpg/attrib/${kv%%=*}"; done
  echo 1 >"$tpg/enable"
  echo "$iqn"
}

lio_disable() { echo 0 >"$CFS/iscsi/$1/tpgt_1/enable"; }

# lio_add_lun IQN N MIB: a ramdisk LUN N of MIB MiB added to the target's TPG
# while it runs (LIO then reports REPORTED LUNS DATA HAS CHANGED to the
# sessions, as a unit attention); lio_remove_lun IQN N takes it away again.
lio_add_lun() {
  local iqn=$1 n=$2 mib=$3 tag tpg=$CFS/iscsi/$1/tpgt_1
  tag=$(( 16#$(echo "$iqn" | md5sum | cut -c1-6) ))
  local dev=$CFS/core/rd_mcp_$tag/lun$n
  mkdir -p "$dev"
  echo "rd_pages=$(( mib * 256 ))" >"$dev/control"
  echo 1 >"$dev/enable"
  lio_serial "$dev" "$iqn-$n"
  mkdir -p "$tpg/lun/lun_$n"
  ln -s "$dev" "$tpg/lun/lun_$n/$tag-$n"
}
lio_remove_lun() {
  local iqn=$1 n=$2 tag tpg=$CFS/iscsi/$1/tpgt_1
  tag=$(( 16#$(echo "$iqn" | md5sum | cut -c1-6) ))
  rm "$tpg/lun/lun_$n/$tag-$n"
  rmdir "$tpg/lun/lun_$n" "$CFS/core/rd_mcp_$tag/lun$n"
}

lio_teardown() {
  local iqn=$1 tpg=$CFS/iscsi/$1/tpgt_1 d l
  [ -d "$CFS/iscsi/$iqn" ] || return 0
  echo 0 >"$tpg/enable" 2>/dev/null || true
  for d in "$tpg"/acls/*/; do
    [ -d "$d" ] || continue
    for l in "$d"lun_*/; do [ -d "$l" ] && { find "$l" -maxdepth 1 -type l -delete; rmdir "$l"; }; done
    rmdir "$d"
  done
  for d in "$tpg"/np/*/; do [ -d "$d" ] && rmdir "$d"; done
  local devs=()
  for l in "$tpg"/lun/lun_*/; do
    [ -d "$l" ] || continue
    for d in "$l"*; do [ -L "$d" ] && { devs+=("$(readlink -f "$d")"); rm "$d"; }; done
    rmdir "$l"
  done
  rmdir "$tpg" "$CFS/iscsi/$iqn"
  for d in "${devs[@]}"; do rmdir "$d"; done
  for d in "$CFS"/core/rd_mcp_*/ "$CFS"/core/iblock_*/; do rmdir "$d" 2>/dev/null || true; done
}

disk_for_host() {
  local h=$1 b
  for b in /sys/bus/scsi/devices/"$h":*/block/*; do
    [ -e "$b" ] && echo "/dev/${b##*/}"
  done
  return 0
}

# dmesg_mark remembers the time now; dmesg_new prints the kernel log lines
# from then on. dmesg is not cleared between scenarios: a scenario that looks
# for errors of its own must not see those an earlier one caused on purpose
# (dm-multipath's failed path, the rescan's removed LUN).
dmesg_mark() { DMESG_MARK=$(cut -d' ' -f1 /proc/uptime); }
dmesg_new() {
  dmesg | awk -v m="${DMESG_MARK:-0}" '{ t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t); if (t + 0 >= m) print }'
}

dmesg_clean() {
  if dmesg | grep -E 'BUG:|WARNING:|Oops|KASAN|UBSAN|general protection fault|Kernel panic|blocked for more than'; then
    die "kernel log is not clean"
  fi
}

# running NAME...: whether a process of one of these names runs; reads
# /proc with builtins only (every exec costs one to two seconds in the
# debug guest under TCG, and the cleanup between scenarios ran dozens).
running() {
  local f c n
  for f in /proc/[0-9]*/comm; do
    read -r c 2>/dev/null <"$f" || continue
    for n in "$@"; do [ "$c" = "$n" ] && return 0; done
  done
  return 1
}

# Stops every tgtd and istgt and waits until they are gone (up to 10 s):
# the next scenario's target binds the same ports and control sockets.
targets_stop() {
  running tgtd istgt || return 0
  local pids
  pids=$(pgrep -x tgtd; pgrep -x istgt) || true
  # tgtd ignores SIGTERM (as long as it has targets): SIGKILL it.
  pkill -9 -x tgtd 2>/dev/null || true
  pkill -x istgt 2>/dev/null || true
  local end=$((SECONDS + 10))
  while pgrep -x tgtd >/dev/null || pgrep -x istgt >/dev/null; do
    if ((SECONDS >= end)); then
      pkill -9 -x istgt 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
  done
  # Reap those this shell started, so that bash does not report the kill
  # later (other pids are not its children: wait returns at once).
  local p
  for p in $pids; do wait "$p" 2>/dev/null || true; done
  return 0
}

cleanup_all() {
  log "cleanup: fio, mounts, initiators"
  if running fio; then pkill -x fio 2>/dev/null && sleep 1; fi
  local m d rest
  while read -r d m rest; do
    [[ "$d" == /dev/sd* ]] && { umount -l "$m" || true; }
  done </proc/mounts
  if running iscsid; then
    iscsiadm -m node --logoutall=all >/dev/null 2>&1 || true
    pkill -x iscsid || true
  fi
  if [ -e /dev/iscsi_init ] && command -v "$REPO/target/debug/iscsi-init" >/dev/null; then
    "$REPO/target/debug/iscsi-init" logout --all >/dev/null 2>&1 || true
  fi
  # A daemon a failed scenario left running would reconnect its sessions.
  if running iscsi-init; then pkill -f 'iscsi-init daemon' 2>/dev/null || true; fi
  if running multipathd; then pkill -x multipathd 2>/dev/null || true; fi
  udev_stop
  log "cleanup: module"
  if grep -q '^iscsi_init ' /proc/modules; then rmmod iscsi_init || true; fi
  log "cleanup: targets"
  targets_stop
  local t
  for t in "$CFS"/iscsi/iqn.*; do [ -d "$t" ] && lio_teardown "$(basename "$t")"; done
  # device-mapper devices (dm-delay, multipath maps) and loop devices a
  # scenario left behind
  log "cleanup: device-mapper, loop devices"
  dmsetup remove_all --noudevsync 2>/dev/null || true
  losetup -D 2>/dev/null || true
  log "cleanup: done"
  return 0
}

# --- iscsi-init (our initiator)
#   ii ARGS...                the helper (target/debug/iscsi-init, or $ISCSI_INIT_BIN)
#   ii_host IQN               SCSI host number of our session to IQN (from sysfs)
#   ii_disks IQN              its /dev/sdX nodes, one per line
#   ii_login IQN PORTAL [ARGS...]  load the module if needed, log in, print the first disk
ii() { "${ISCSI_INIT_BIN:-$REPO/target/debug/iscsi-init}" "$@"; }

# The first of ii_hosts; fails when there is none.
ii_host() { local h; h=$(ii_hosts "$1") && [ -n "$h" ] && echo "${h%%$'\n'*}"; }

ii_disks() { local h; h=$(ii_host "$1") && disk_for_host "$h"; }

# Every SCSI host of our sessions to IQN (several with multipath), one per
# line. (Builtins only: they run in polling loops, and each exec costs
# 0.35-1 s in the debug guest.)
ii_hosts() {
  local f n d
  for f in /sys/class/scsi_host/host*/iscsi_target_name; do
    [ -f "$f" ] && read -r n <"$f" && [ "$n" = "$1" ] && { d=${f%/*}; echo "${d##*/host}"; }
  done
  return 0
}

ii_login() {
  local iqn=$1 portal=$2; shift 2
  grep -q '^iscsi_init ' /proc/modules || insmod "$ISCSI_INIT_KO"
  ii login -T "$iqn" -p "$portal" "$@" >&2
  wait_for "the LUN scan of $iqn" 30 eval 'test -n "$(ii_disks "$iqn")"'
  ii_disks "$iqn" | sed -n 1p
}

fio_verify() {
  local disk=$1 mib=${2:-256} job
  for job in "randwrite-4k-qd32 --rw=randwrite --bs=4k --iodepth=32" "write-1m-qd8 --rw=write --bs=1m --iodepth=8"; do
    local name=${job%% *} t0=$SECONDS
    # shellcheck disable=SC2086
    fio --name="$name" --filename="$disk" --direct=1 --ioengine=libaio ${job#* } --size="${mib}m" \
      --verify=crc32c --verify_fatal=1 --do_verify=1 --output="/tmp/fio-$name.txt" \
      || { cat "/tmp/fio-$name.txt"; die "fio $name failed on $disk"; }
    grep -q "err= 0" "/tmp/fio-$name.txt" || { cat "/tmp/fio-$name.txt"; die "fio $name reported errors"; }
    log "fio $name on $disk: ${mib} MiB verified in $((SECONDS - t0))s: $(grep -Eo '(WRITE|READ): bw=[^ ]+' "/tmp/fio-$name.txt" | tr '\n' ' ')"
  done
}

fs_check() {
  local disk=$1 mnt=/mnt/fs-check
  mkfs.ext4 -q -F "$disk"
  mkdir -p "$mnt"; mount "$disk" "$mnt"
  # A tree of a few thousand files of all sizes: the sources and the host's
  # Python library (no build output).
  mkdir -p "$mnt/src" "$mnt/py"
  tar -C "$REPO" --exclude=target --exclude=artifacts --exclude='*.o' --exclude='*.ko' -cf - \
    kmod codec/src codec/tests helper/src scripts Documentation | tar -C "$mnt/src" -xf -
  cp -a /usr/lib/python3.11/email /usr/lib/python3.11/json /usr/lib/python3.11/asyncio "$mnt/py/"
  (cd "$mnt" && find . -type f ! -path './lost+found/*' -exec sha256sum {} + | sort -k2) >/tmp/fs-sums
  sync; echo 3 >/proc/sys/vm/drop_caches
  umount "$mnt"; mount "$disk" "$mnt"
  (cd "$mnt" && sha256sum -c --quiet /tmp/fs-sums) || die "files differ after remount of $disk"
  log "fs on $disk: $(wc -l </tmp/fs-sums) files written, remounted, identical"
  umount "$mnt"
}

tgtd_setup() {
  local port=$1 iqn=$2 mib=$3 chap=${4:-} mutual=${5:-} ctl=$(( $1 % 1000 + 100 ))
  truncate -s "${mib}M" "/tmp/tgtd-$port.img"
  tgtd -f --iscsi "portal=127.0.0.1:$port" -C "$ctl" >"/tmp/tgtd-$port.log" 2>&1 &
  wait_for "tgtd on port $port" 10 tgtadm -C "$ctl" --lld iscsi --op show --mode target
  tgtadm -C "$ctl" --lld iscsi --op new --mode target --tid 1 -T "$iqn"
  tgtadm -C "$ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "/tmp/tgtd-$port.img"
  tgtadm -C "$ctl" --lld iscsi --op bind --mode target --tid 1 -I ALL
  if [ -n "$chap" ]; then
    tgtadm -C "$ctl" --lld iscsi --op new --mode account --user "${chap%%:*}" --password "${chap#*:}"
    tgtadm -C "$ctl" --lld iscsi --op bind --mode account --tid 1 --user "${chap%%:*}"
  fi
  if [ -n "$mutual" ]; then
    tgtadm -C "$ctl" --lld iscsi --op new --mode account --user "${mutual%%:*}" --password "${mutual#*:}"
    tgtadm -C "$ctl" --lld iscsi --op bind --mode account --tid 1 --user "${mutual%%:*}" --outgoing
  fi
}

# istgt_setup PORT NAME MIB [USER:SECRET [TARGET_USER:TARGET_SECRET]]: an
# istgt (Debian's istgt 0.4) on 127.0.0.1:PORT with one target
# NODE_BASE:NAME (one LUN of MIB MiB, a sparse file), no authentication or
# CHAP (mutual CHAP with the second account); prints the target's IQN. Its
# files and log are in /tmp/istgt-PORT.
istgt_setup() {
  local port=$1 name=$2 mib=$3 chap=${4:-} mutual=${5:-} d=/tmp/istgt-$1 auth=None
  local base=iqn.2026-12.org.iscsi-init.istgt
  mkdir -p "$d"; truncate -s "${mib}M" "$d/$name.img"
  [ -z "$chap" ] || auth=CHAP
  [ -z "$mutual" ] || auth="CHAP Mutual"
  cat >"$d/istgt.conf" <<CONF
[Global]
  NodeBase "$base"
  PidFile $d/istgt.pid
  AuthFile $d/auth.conf
  MediaDirectory $d
  LogFacility "local7"
  Timeout 30
  NopInInterval 20
  DiscoveryAuthMethod None
  MaxSessions 16
  MaxConnections 4
  FirstBurstLength 262144
  MaxBurstLength 1048576
  MaxRecvDataSegmentLength 262144
  InitialR2T Yes
  ImmediateData Yes
  ErrorRecoveryLevel 0
[UnitControl]
  AuthMethod CHAP Mutual
  AuthGroup AuthGroup10000
  Portal UC1 127.0.0.1:$((port + 1))
  Netmask 127.0.0.1
[PortalGroup1]
  Portal DA1 127.0.0.1:$port
[InitiatorGroup1]
  InitiatorName "ALL"
  Netmask 127.0.0.0/8
[LogicalUnit1]
  TargetName $name
  Mapping PortalGroup1 InitiatorGroup1
  AuthMethod $auth
  AuthGroup AuthGroup1
  UseDigest Auto
  UnitType Disk
  LUN0 Storage $d/$name.img ${mib}MB
CONF
  {
    echo "[AuthGroup1]"
    if [ -n "$chap" ]; then
      printf '  Auth "%s" "%s"' "${chap%%:*}" "${chap#*:}"
      [ -z "$mutual" ] || printf ' "%s" "%s"' "${mutual%%:*}" "${mutual#*:}"
      echo
    fi
    echo "[AuthGroup10000]"
    echo '  Auth "ctluser" "ctl-secret-1" "mutualuser" "ctl-secret-2"'
  } >"$d/auth.conf"
  istgt -c "$d/istgt.conf" -D >"$d/istgt.log" 2>&1 &
  wait_for "istgt on port $port" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
  echo "$base:$name"
}

lio_enable() { echo 1 >"$CFS/iscsi/$1/tpgt_1/enable"; }

ii_daemon() {
  # The binary itself in the background (not the `ii` function, whose
  # subshell would get the pid), so that `kill PID` stops the daemon.
  "${ISCSI_INIT_BIN:-$REPO/target/debug/iscsi-init}" daemon "$@" >>/tmp/daemon.log 2>&1 &
  local pid=$!
  wait_for "the daemon to start" 30 grep -q "daemon: started" /tmp/daemon.log
  echo "$pid"
}

# Kills the initiator side of every TCP connection to PORT (the target's side
# has the port as its source port and is left alone): a transport reset.
ii_kill() { ss -K -t -n -H dst 127.0.0.1 dport = ":$1" >/dev/null; }

kill_and_time() {
  local port=$1 f=$2 good=$3 s t_fail end
  ii_kill "$port" &
  end=$((SECONDS + 30))
  while read -r s <"$f" && [ "$s" = "$good" ]; do
    ((SECONDS < end)) || die "the kill of port $port showed no failure in 30 s"
    sleep 0.02
  done
  t_fail=$EPOCHREALTIME
  end=$((SECONDS + 90))
  while read -r s <"$f" && [ "$s" != "$good" ]; do
    ((SECONDS < end)) || die "no recovery within 90 s of the failure (port $port)"
    sleep 0.02
  done
  echo "$EPOCHREALTIME - $t_fail" | bc
  wait
}

# until_reads FILE VALUE SECS [T0]: polls FILE (every 20 ms, no fork but
# sleep's) until it reads VALUE; prints the seconds since T0 (an
# $EPOCHREALTIME, default the call's start); fails after SECS.
# For kernel timings: a process's own exit (fio, dd) adds seconds of its
# own on a slow TCG host.
until_reads() {
  local f=$1 want=$2 t0=${4:-$EPOCHREALTIME} s end=$((SECONDS + $3))
  until read -r s <"$f" && [ "$s" = "$want" ]; do
    ((SECONDS < end)) || die "$f did not read $want within $3 s (it reads '$s')"
    sleep 0.02
  done
  echo "$EPOCHREALTIME - $t0" | bc
}

ii_recoveries() { local h n; h=$(ii_host "$1") && read -r n <"/sys/class/scsi_host/host$h/iscsi_recoveries" && echo "$n"; }

# ii_stat IQN JQ_PATH: one figure of our session to IQN from `list --stats
# --json`, e.g. ii_stat "$IQN" .stats.tmf.abort_task.sent
ii_stat() { ii_stats "$1" "$2"; }

# ii_stats IQN JQ_PATH...: several figures of one `list --stats --json`, on
# one line separated by spaces (compact JSON for objects), e.g.
#   read -r sent ok < <(ii_stats "$IQN" .stats.tmf.lu_reset.sent .stats.tmf.lu_reset.succeeded)
# Two execs whatever the count (the helper and jq take about 0.8 and 1.1 s
# each in the debug guest).
ii_stats() {
  local t=$1 e; shift
  e=$(printf '%s, ' "$@"); e=${e%, }
  ii list --stats --json | jq -ecr --arg t "$t" ".sessions[] | select(.target == \$t) | [$e] | map(if type == \"string\" then . else tojson end) | join(\" \")"
}

# udevd, for the scenarios that need udev's device properties (multipathd).
udev_start() {
  mkdir -p /run/udev
  /lib/systemd/systemd-udevd --daemon 2>/dev/null
  udevadm settle -t 30
}
udev_stop() {
  if running systemd-udevd && pkill -x systemd-udevd 2>/dev/null; then
    local end=$((SECONDS + 10))
    while pgrep -x systemd-udevd >/dev/null && ((SECONDS < end)); do sleep 0.1; done
  fi
  # Its control socket and database would make libdevmapper believe it
  # still runs (and wait for it).
  rm -rf /run/udev
}

# The SCSI generic node (/dev/sgN) of a disk /dev/sdX.
sg_of() { echo "/dev/$(ls "/sys/block/$(basename "$1")/device/scsi_generic/")"; }

now() { date +%s.%N; }

fio_rounds() {
  local disk=$1 stop=$2 out=$3 n=0
  rm -f "$out".fail "$out".rounds
  while [ ! -e "$stop" ]; do
    n=$((n + 1))
    fio --name="round$n" --filename="$disk" --direct=1 --ioengine=libaio --rw=randwrite --bs=4k \
      --iodepth=16 --size="${E2E_FIO_ROUND_MIB:-2}m" --verify=crc32c --verify_fatal=1 --do_verify=1 \
      --output="$out-$n.txt" || echo "round $n: fio exited with an error" >>"$out".fail
    grep -q "err= 0" "$out-$n.txt" || echo "round $n: errors" >>"$out".fail
  done
  echo "$n" >"$out".rounds
}

fio_rounds_check() {
  local out=$1 f
  if [ -e "$out".fail ]; then
    cat "$out".fail
    for f in "$out"-*.txt; do grep -E "err=|verify|error" "$f" | head -5; done
    die "fio verify reported errors (see above)"
  fi
  log "fio: $(cat "$out".rounds) verify rounds, 0 I/O errors, 0 verify errors"
}

oi_login() {
  local iqn=$1 portal=$2 kv; shift 2
  modprobe iscsi_tcp
  mkdir -p /etc/iscsi /run/lock/iscsi /var/lib/iscsi
  [ -f /etc/iscsi/initiatorname.iscsi ] ||
    echo "InitiatorName=iqn.2026-11.org.iscsi-init:open-iscsi" >/etc/iscsi/initiatorname.iscsi
  pgrep -x iscsid >/dev/null || { iscsid; sleep 1; }
  iscsiadm -m discovery -t sendtargets -p "$portal" >/dev/null
  # open-iscsi offers DefaultTime2Retain=0: after a connection failure LIO's
  # Time2Retain timer then fires at once, and its handler can make LIO print
  # a lockdep report (scripts/scenarios/README.md). 20 s, our helper's value,
  # keeps the comparison free of it; it does not change open-iscsi's recovery.
  iscsiadm -m node -T "$iqn" -p "$portal" -o update -n node.session.iscsi.DefaultTime2Retain -v 20
  for kv in "$@"; do iscsiadm -m node -T "$iqn" -p "$portal" -o update -n "${kv%%=*}" -v "${kv#*=}"; done
  iscsiadm -m node -T "$iqn" -p "$portal" --login >/dev/null
  local sid host
  sid=$(iscsiadm -m session | awk -v t="$iqn" '$4 == t { gsub(/[\[\]]/, "", $2); print $2 }')
  host=$(basename "$(readlink -f /sys/class/iscsi_session/session"$sid"/device/..)" | sed 's/host//')
  wait_for "the open-iscsi LUN scan" 30 eval 'test -n "$(disk_for_host "$host")"'
  disk_for_host "$host" | sed -n 1p
}

oi_logout() { iscsiadm -m node -T "$1" -p "$2" --logout >/dev/null; }

oi_host() {
  local s
  for s in /sys/class/iscsi_session/session*; do
    [ "$(cat "$s/targetname" 2>/dev/null)" = "$1" ] &&
      { basename "$(readlink -f "$s/device/..")" | sed 's/^host//'; return 0; }
  done
  return 1
}

oi_disks() { local h; h=$(oi_host "$1") && disk_for_host "$h"; }

oi_state_file() {
  local s
  for s in /sys/class/iscsi_session/session*; do
    [ "$(cat "$s/targetname" 2>/dev/null)" = "$1" ] && { echo "$s/state"; return 0; }
  done
  return 1
}

oi_session_state() {
  local f
  f=$(oi_state_file "$1") && cat "$f"
}

percentile() {
  local p=$1; shift
  printf '%s\n' "$@" | sort -g | awk -v p="$p" '{ v[NR] = $1 } END { i = int((NR * p + 99) / 100); if (i < 1) i = 1; print v[i] }'
}

# kmemleak_start forgets the leaks already reported (by an earlier
# scenario's check, whose scans found them) and scans nothing itself: a scan
# takes about 22 s in the 3 GiB debug guest (44 s in 6 GiB). (Its scan
# never made a leak of an earlier scenario without a check go unnoticed
# either: a first scan only records an object's checksum.)
kmemleak_start() {
  local kl=/sys/kernel/debug/kmemleak
  [ -w "$kl" ] || die "kmemleak not available"
  echo clear >"$kl"
}

kmemleak_check() {
  local kl=/sys/kernel/debug/kmemleak
  # Unreferenced objects need two scans to be reported (the first one only
  # records a new object's checksum; objects younger than 5 s are skipped).
  echo scan >"$kl"; sleep 5; echo scan >"$kl"
  cat "$kl" >/tmp/kmemleak.txt
  local ours others
  ours=$(awk '/^unreferenced object/ { if (blk ~ /iscsi_init/) n++; blk = "" } { blk = blk "\n" $0 } END { if (blk ~ /iscsi_init/) n++; print n + 0 }' /tmp/kmemleak.txt)
  # grep -c exits 1 when it counts nothing: no leak is not an error.
  others=$(( $(grep -c '^unreferenced object' /tmp/kmemleak.txt || true) - ours ))
  if ((ours > 0)); then cat /tmp/kmemleak.txt; die "kmemleak: $ours leaks in iscsi_init"; fi
  ((others == 0)) || { head -40 /tmp/kmemleak.txt; log "kmemleak: $others leaks outside iscsi_init (target or open-iscsi; not ours)"; }
  log "kmemleak: no leaks in iscsi_init"
}
