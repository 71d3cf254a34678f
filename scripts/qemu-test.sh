#!/usr/bin/env bash
# Boot the test kernel under QEMU (TCG) and run named scenarios in the guest.
#
#   scripts/qemu-test.sh [options] [SCENARIO...]
#
# Scenarios are the files scripts/scenarios/NAME.sh; with no names, all of them
# run in name order. Each runs in the guest as root, in a chroot whose lower
# layer is the host's / shared read-only over 9p (so every tool installed on the
# host is there) under a tmpfs overlay. The repo is at the same path as on the
# host. A scenario passes when it exits 0. See scripts/scenarios/README.md.
#
# Options:
#   --flavour debug|release   kernel flavour (default debug; built and cached if needed)
#   --shell                   interactive guest shell instead of scenarios
#   --luns N                  ramdisk LUNs per LIO target (default 1, exported as LIO_LUNS)
#   --chap USER:SECRET        make scenarios' default LIO target require CHAP
#   --mutual USER:SECRET      ...and mutual CHAP with these target credentials
#   --timeout SECONDS         per-scenario time limit in the guest (default 1800)
#   --mem MIB                 guest memory (default 3072: the scenarios use under
#                             1 GiB; less to scan makes KASAN and kmemleak faster)
#   --out DIR                 where logs go (default out/qemu-<timestamp>)
#   --cpus N                  guest vCPUs (default 2)
#
# Exit status: 0 when every scenario passed and the console log is clean.
# If the kernel reports a failure while booting, before any scenario (and so
# before anything of ours is loaded), the guest boots once more; a second such
# boot fails the run.
# The last line is "N passed, N failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

cpus=2 flavour=debug shell=0 luns=1 chap="" mutual="" timeout=1800 mem=3072 out=""
scenarios=()
while (($#)); do
  case "$1" in
    --flavour) flavour=$2; shift 2;;
    --shell) shell=1; shift;;
    --luns) luns=$2; shift 2;;
    --chap) chap=$2; shift 2;;
    --mutual) mutual=$2; shift 2;;
    --timeout) timeout=$2; shift 2;;
    --mem) mem=$2; shift 2;;
    --cpus) cpus=$2; shift 2;;
    --out) out=$2; shift 2;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d'; exit 0;;
    -*) echo "qemu-test: unknown option $1" >&2; exit 2;;
    *) scenarios+=("$1"); shift;;
  esac
done
[[ "$luns" =~ ^[0-9]+$ ]] && ((luns >= 1)) || { echo "qemu-test: --luns takes a number >= 1" >&2; exit 2; }

if ((${#scenarios[@]} == 0)) && ((shell == 0)); then
  for f in "$here"/scenarios/*.sh; do scenarios+=("$(basename "$f" .sh)"); done
fi
# A scenario is a name (scripts/scenarios/NAME.sh) or a path to a script.
declare -A scenario_file
for i in "${!scenarios[@]}"; do
  s=${scenarios[$i]}
  if [[ "$s" == */* ]]; then
    f=$(cd "$(dirname "$s")" && pwd)/$(basename "$s"); s=$(basename "$s" .sh); scenarios[$i]=$s
  else
    f=$here/scenarios/$s.sh
  fi
  [ -f "$f" ] || { echo "qemu-test: no scenario $s ($f)" >&2; exit 2; }
  scenario_file[$s]=$f
done

kbuild=$("$here/build-kernel.sh" "$flavour")
kimage=$kbuild/arch/x86/boot/bzImage
kver=$(cat "$kbuild/include/config/kernel.release")

out=${out:-$repo/out/qemu-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"; out=$(cd "$out" && pwd)
rm -f "$out"/*.rc "$out"/*.log "$out"/console.txt "$out"/dmesg.txt "$out"/boot-failed "$out"/scenarios.list

# Initramfs: static busybox and an /init that builds the overlay root.
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/initramfs/bin"
cp /bin/busybox "$work/initramfs/bin/busybox"
cp "$here/guest/initramfs-init" "$work/initramfs/init"; chmod +x "$work/initramfs/init"
(cd "$work/initramfs" && find . | cpio -o -H newc --quiet | gzip -1 >"$work/initrd.gz")

# Values are quoted (%q): the repository may sit at a path with spaces.
# Sourced by busybox sh in the initramfs and by bash in the guest.
cat >"$out/guest.env" <<ENV
REPO=$(printf '%q' "$repo")
KBUILD=$(printf '%q' "$kbuild")
KVER=$kver
FLAVOUR=$flavour
SCENARIO_TIMEOUT=$timeout
LIO_LUNS=$luns
LIO_CHAP=$chap
LIO_MUTUAL=$mutual
SHELL_MODE=$shell
ENV
# The scenarios to run, one "NAME<TAB>FILE" per line.
for s in "${scenarios[@]}"; do printf '%s\t%s\n' "$s" "${scenario_file[$s]}"; done >"$out/scenarios.list"
# Scenario knobs (E2E_*, e.g. E2E_PARAMS_MIB=32) pass through to the guest.
env | grep -E '^E2E_[A-Z0-9_]+=[A-Za-z0-9._-]*$' >>"$out/guest.env" || true

# The test kernels have no ACPI (scripts/kernel/base.config): the CPUs come
# from SeaBIOS's MP table, which has one entry per socket, hence one socket
# per vCPU in -smp. pci=noacpi does nothing there; it is kept for a kernel
# built with ACPI, where under TCG the firmware's AML for PCI interrupt
# routing (_PRT) runs into its 30 s loop timeout per device, and the PIRQ
# table does the job.
# -cpu max,la57=off: 4-level paging; with 5-level paging (la57 in TCG's max
# CPU) KASAN kernels occasionally took a wild access in an early interrupt.
# tsc=reliable: without ACPI there is no HPET or ACPI PM timer to fall back
# on, and the boot-time TSC sync check (which TCG's vCPU threads fail) would
# leave the guest on the jiffies clocksource: 4 ms resolution for every
# timestamp and latency. TCG derives every vCPU's TSC from one virtual clock.
# tsc_early_khz: that clock is the host's TSC (QEMU's cpu_get_host_ticks),
# so the guest's TSC runs at the host's TSC frequency. Given it, the guest
# skips its PIT calibration, which under TCG fails when the host is busy
# ("tsc: Unable to calibrate against PIT", one bench boot in two) and leaves
# the guest on jiffies as well. Taken from the host's kernel log, or from
# /proc/cpuinfo when the CPU flags say the TSC frequency is the announced
# one (tsc_known_freq); left out (the guest calibrates) otherwise.
host_tsc_khz() {
  local mhz
  mhz=$(dmesg 2>/dev/null | sed -n -e 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' \
    -e 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | tail -1) || true
  if [ -z "$mhz" ] && grep -m1 '^flags' /proc/cpuinfo | grep -qw tsc_known_freq; then
    mhz=$(sed -n 's/^cpu MHz[[:space:]]*: \([0-9.]*\)$/\1/p' /proc/cpuinfo | head -1)
  fi
  [ -n "$mhz" ] && awk -v m="$mhz" 'BEGIN { if (m > 100) printf "%d\n", m * 1000 }'
}
cmdline="console=ttyS0 panic=-1 loglevel=6 pci=noacpi tsc=reliable"
tsc_khz=$(host_tsc_khz || true)
[ -z "$tsc_khz" ] || cmdline+=" tsc_early_khz=$tsc_khz"
qemu=(qemu-system-x86_64 -nodefaults -accel tcg -cpu max,la57=off -smp "$cpus,sockets=$cpus,cores=1,threads=1" -m "$mem" -no-reboot
  -kernel "$kimage" -initrd "$work/initrd.gz" -append "$cmdline"
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
  -virtfs "local,path=${out//,/,,},mount_tag=out,security_model=none"
  -nic none)

echo "[qemu-test] kernel $kver ($flavour), logs in $out"
if ((shell)); then
  exec "${qemu[@]}" -display none -serial mon:stdio
fi

bad='BUG:|WARNING:|Oops|KASAN|UBSAN|general protection fault|Kernel panic|blocked for more than'
start=$(date +%s)
total_limit=$(( ${#scenarios[@]} * timeout + 300 ))
for attempt in 1 2; do
  set +e
  timeout --foreground -k 10 "$total_limit" "${qemu[@]}" -display none -monitor none -serial stdio </dev/null \
    | tee "$out/console.txt" | grep --line-buffered -E '^\[(guest|scenario)\]' >&2
  qrc=${PIPESTATUS[0]}
  set -e
  # A kernel that reports a failure while booting, before anything of ours
  # is loaded (the guest checks dmesg before the first scenario and writes
  # boot-failed), is not a test of iscsi-init: boot once more, keeping the
  # failed console log. Anything later counts.
  if [ "$attempt" = 1 ] && [ -f "$out/boot-failed" ]; then
    rm -f "$out/boot-failed" "$out/dmesg.txt"
    cp "$out/console.txt" "$out/console-boot-failure.txt"
    echo "[qemu-test] the kernel failed while booting (see console-boot-failure.txt); booting again"
    grep -m3 -E "$bad" "$out/console.txt" | sed 's/^/    | /' || true
    continue
  fi
  break
done
echo "[qemu-test] guest ran $(( $(date +%s) - start ))s (qemu exit $qrc)"

passed=0 failed=0
for s in "${scenarios[@]}"; do
  rc=$(cat "$out/$s.rc" 2>/dev/null || echo none)
  if [ "$rc" = 0 ]; then passed=$((passed + 1)); echo "PASS $s"
  else failed=$((failed + 1)); echo "FAIL $s (exit $rc; log $out/$s.log)"
    [ -f "$out/$s.log" ] && tail -n 25 "$out/$s.log" | sed 's/^/    | /'
  fi
done

for f in "$out/console.txt" "$out/dmesg.txt"; do
  [ -f "$f" ] || continue
  if grep -qE "$bad" "$f"; then
    echo "FAIL kernel log: $(basename "$f") matches /$bad/:"
    grep -nE -m5 -A3 "$bad" "$f" | sed 's/^/    | /'
    failed=$((failed + 1))
    break
  fi
done
if [ ! -f "$out/dmesg.txt" ]; then
  echo "FAIL guest did not finish (no dmesg.txt; qemu exit $qrc): see $out/console.txt"
  tail -n 20 "$out/console.txt" | sed 's/^/    | /'
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
((failed == 0))
