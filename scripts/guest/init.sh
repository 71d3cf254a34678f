#!/bin/bash
# Runs in the guest's overlay root as PID 1: prepares the system, then runs the
# scenarios listed in /out/guest.env (or a shell), then powers off.
set -u
. /out/guest.env
export REPO KBUILD KVER FLAVOUR LIO_LUNS LIO_CHAP LIO_MUTUAL
for v in $(compgen -v E2E_); do export "${v?}"; done
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}

for m in "proc /proc" "sysfs /sys" "devtmpfs /dev"; do
  set -- $m
  /bin/busybox mount -t "$1" "$1" "$2" || echo "[guest] cannot mount $1 on $2"
done
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin; ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# The repository and the kernel build may be under /tmp or /run on the host
# (a clone in /tmp, a CI cache), which the fresh tmpfs mounts above hide:
# mount those back at the same path from the host's root, under a tmpfs
# overlay, so they are writable in the guest (and the writes stay there) as
# everywhere else in its root.
reveal() { # HOSTPATH NAME
  local p=$1 d=/mnt/reveal/$2
  case "$p" in /tmp|/tmp/*|/run|/run/*) ;; *) return 0;; esac
  [ -d "/mnt/host$p" ] || { echo "[guest] $p is not on the host"; return 1; }
  mkdir -p "$d/lower" "$d/rw" "$p"
  mount --bind "/mnt/host$p" "$d/lower"
  mount -t tmpfs tmpfs "$d/rw"
  mkdir -p "$d/rw/upper" "$d/rw/work"
  mount -t overlay overlay -o "lowerdir=$d/lower,upperdir=$d/rw/upper,workdir=$d/rw/work" "$p"
}
reveal "$REPO" repo || echo "[guest] cannot mount the repository at $REPO"
case "$KBUILD/" in "$REPO"/*) ;; *) reveal "$KBUILD" kbuild || echo "[guest] cannot mount the kernel build at $KBUILD";; esac
mount -t configfs configfs /sys/kernel/config
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up
hostname iscsi-guest
# The test kernel's modules, for modprobe (iscsi_tcp for the open-iscsi baseline).
rm -rf "/lib/modules/$KVER"; mkdir -p /lib/modules
ln -s "$KBUILD/modroot/lib/modules/$KVER" "/lib/modules/$KVER"
echo "[guest] ready after $(cut -d' ' -f1 /proc/uptime)s (kernel $KVER)"

finish() {
  dmesg >/out/dmesg.txt
  sync
  # Reboot (QEMU runs with -no-reboot, so it exits; without ACPI there is no
  # power-off) is asynchronous: wait for it with builtins only (the host
  # root goes away under us), since PID 1 must not exit.
  mkfifo /run/halt; exec 3<>/run/halt
  echo b >/proc/sysrq-trigger
  while :; do read -r -t 60 -u 3 _ || true; done
}

if [ "$SHELL_MODE" = 1 ]; then
  echo "[guest] interactive shell: repo at $REPO, 'source \"\$REPO/scripts/guest/lib.sh\"' for lio_setup etc.; exit to power off"
  cd "$REPO"
  setsid -c bash -l </dev/ttyS0 >/dev/ttyS0 2>&1
  finish
fi

cd "$REPO"
if grep -qE 'BUG:|WARNING:|Oops|KASAN|UBSAN|general protection fault|Kernel panic|blocked for more than' <(dmesg); then
  echo "[guest] the kernel reported a failure while booting; no scenario runs"
  touch /out/boot-failed
  finish
fi
mapfile -t list </out/scenarios.list
for entry in "${list[@]}"; do
  s=${entry%%$'\t'*} f=${entry#*$'\t'}
  echo "[scenario] $s: start at $(cut -d' ' -f1 /proc/uptime)s"
  t0=$(cut -d. -f1 /proc/uptime)
  # E2E_TRACE=1: trace each command with its time (no fork: EPOCHREALTIME),
  # to see where a scenario spends it.
  timeout -k 30 "$SCENARIO_TIMEOUT" bash -c 'set -euo pipefail
    if [ "${E2E_TRACE:-0}" = 1 ]; then PS4='\''+${EPOCHREALTIME} ${BASH_SOURCE[0]-}:${LINENO} '\''; set -x; fi
    source "$REPO/scripts/guest/lib.sh"; source "$1"' scenario "$f" \
    >"/out/$s.log" 2>&1 </dev/null
  rc=$?
  echo "$rc" >"/out/$s.rc"
  if [ "$rc" = 0 ]; then r=PASS; else r="FAIL (exit $rc)"; fi
  echo "[scenario] $s: $r in $(( $(cut -d. -f1 /proc/uptime) - t0 ))s"
  # The end of a failed scenario's log goes to the console at once: a run
  # that is cut short (a CI time limit) still shows why it failed.
  [ "$rc" = 0 ] || tail -n 30 "/out/$s.log" | sed "s/^/[scenario] $s | /"
  # Leave no state behind for the next scenario.
  t0=$(cut -d. -f1 /proc/uptime)
  bash -c 'source "$REPO/scripts/guest/lib.sh"; cleanup_all' >>"/out/$s.log" 2>&1
  echo "[scenario] $s: cleaned up in $(( $(cut -d. -f1 /proc/uptime) - t0 ))s"
done
finish
