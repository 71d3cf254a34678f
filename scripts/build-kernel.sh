#!/usr/bin/env bash
# Build (or reuse) the test kernel from Debian's linux-source-6.12.
#
#   scripts/build-kernel.sh [debug|release]          build if needed, print the build dir
#   scripts/build-kernel.sh --print-dir [debug|release]   only print where it is/would be
#
# ISCSI_INIT_CONFIG_ONLY=1 stops after writing and checking the .config (to
# try a fragment change in seconds).
#
# The build lives outside the work tree, in $ISCSI_INIT_CACHE (default
# /var/cache/iscsi-init), keyed by kernel source version + config fragments +
# toolchain versions, so a second run with nothing changed does not rebuild.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kenv.sh"

print_only=0
if [ "${1:-}" = --print-dir ]; then print_only=1; shift; fi
flavour=${1:-debug}
case "$flavour" in debug|release) ;; *) echo "usage: $0 [--print-dir] [debug|release]" >&2; exit 2;; esac

say() { printf '[kernel:%s] %s\n' "$flavour" "$*" >&2; }

tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || { echo "missing $tarball: run scripts/setup.sh" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( {
  echo "$srcver"
  cat "$here/kernel/base.config" "$here/kernel/common.config" "$here/kernel/$flavour.config"
  "$KRUSTC" --version; clang --version | head -1; "$KBINDGEN" --version
} | sha256sum | cut -c1-16)
src=$ISCSI_INIT_CACHE/src/linux-$srcver
out=$ISCSI_INIT_CACHE/kernel-$flavour-$key

if [ "$print_only" = 1 ]; then echo "$out"; exit 0; fi

if [ -f "$out/.iscsi-init-done" ]; then
  say "cached: $out"
  echo "$out"; exit 0
fi

hms() { if (($1 >= 60)); then printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); else printf '%ds' "$1"; fi; }

mkdir -p "$ISCSI_INIT_CACHE/src"
if [ ! -f "$src/.extracted" ]; then
  say "extracting $tarball ($srcver, about 1.5 GiB)"
  t0=$(date +%s)
  rm -rf "$src" "$src.tmp"; mkdir -p "$src.tmp"
  # A line every 20 s while tar runs (it takes about a minute on 2 cores).
  ( while sleep 20; do
      say "extracting: $(hms $(( $(date +%s) - t0 ))), $(du -sm "$src.tmp" 2>/dev/null | cut -f1) MiB so far"
    done ) &
  ticker=$!
  rc=0; tar -C "$src.tmp" -xf "$tarball" --strip-components=1 || rc=$?
  kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
  ((rc == 0)) || { say "extracting failed"; exit 1; }
  touch "$src.tmp/.extracted"; mv "$src.tmp" "$src"
  say "extracted in $(hms $(( $(date +%s) - t0 )))"
fi

rm -rf "$out"
seeded=""
# Seed from the newest finished build of this flavour from the same source (an
# older fragment or toolchain): Kbuild then rebuilds only what the change
# touches, a minute or two instead of a cold build.
seed=$(ls -dt "$ISCSI_INIT_CACHE/kernel-$flavour-"*/.iscsi-init-done 2>/dev/null | head -n 1 || true)
if [ -n "$seed" ] && [ "$(cat "$(dirname "$seed")/.iscsi-init-src" 2>/dev/null)" = "$srcver" ]; then
  seed=$(dirname "$seed")
  say "seeding from $seed (incremental build)"
  seeded=$seed
  cp -a "$seed" "$out.tmp" && rm -f "$out.tmp/.iscsi-init-done" && rm -rf "$out.tmp/modroot" && mv "$out.tmp" "$out"
  # Old builds of this flavour are superseded; keep only the newest two.
  ls -dt "$ISCSI_INIT_CACHE/kernel-$flavour-"* | tail -n +3 | xargs -r rm -rf
fi
mkdir -p "$out"
m() { make -C "$src" O="$out" "${KMAKEFLAGS[@]}" "$@"; }
t0=$(date +%s)
fragments=("$here/kernel/base.config" "$here/kernel/common.config" "$here/kernel/$flavour.config")
say "configuring: allnoconfig + base.config + common.config + $flavour.config"
# allnoconfig with the fragments as KCONFIG_ALLCONFIG: every option is off
# unless a fragment (or what a fragment's options select) turns it on.
cat "${fragments[@]}" >"$out/fragments.config"
m -s KCONFIG_ALLCONFIG="$out/fragments.config" allnoconfig >"$out/config.log" 2>&1 || {
  cat "$out/config.log" >&2; exit 1; }
m -s olddefconfig >>"$out/config.log" 2>&1
# Kconfig does not fail when a dependency drops an option: check the ones we rely on.
for opt in $(grep -h '^CONFIG_.*=[ym0-9]' "${fragments[@]}"); do
  if ! grep -qx "$opt" "$out/.config"; then
    echo "kernel config: $opt did not stick (see 'make menuconfig' dependencies)" >&2
    m -s rustavailable >&2 || true
    exit 1
  fi
done
for opt in $(grep -h '^# CONFIG_.* is not set' "${fragments[@]}" | cut -d' ' -f2); do
  if grep -q "^$opt=" "$out/.config"; then
    echo "kernel config: $opt is set although a fragment turns it off (something selects it)" >&2
    exit 1
  fi
done
say "configured in $(( $(date +%s) - t0 ))s: $(grep -c '=[ym]$' "$out/.config") options on"
[ "${ISCSI_INIT_CONFIG_ONLY:-0}" = 1 ] && { say "configured (ISCSI_INIT_CONFIG_ONLY=1): $out/.config"; exit 0; }

# --- Progress on stderr: objects compiled out of the expected total (the
# count of the last cold build in this cache, else the count recorded in
# scripts/kernel/FLAVOUR.objects), a percentage and an estimate of the time
# left. A line every ISCSI_INIT_PROGRESS_SECONDS (default 20) when stderr is
# not a terminal (CI logs), a line updated in place every 2 s when it is.
objects_re=' (CC|AS|RUSTC|LD|AR)( \[M\])? '
log_status() { # LOG -> "COUNT<TAB>LAST OBJECT LINE"
  awk -v re="$objects_re" '$0 ~ re { n++; last = $0 } END { sub(/^ +/, "", last); printf "%d\t%s\n", n, last }' "$1" 2>/dev/null
}
progress() { # LOG START TOTAL INCREMENTAL
  local log=$1 start=$2 total=$3 incremental=$4 tty=0 every n last el line
  [ -t 2 ] && tty=1
  every=$(( tty ? 2 : ${ISCSI_INIT_PROGRESS_SECONDS:-20} ))
  while sleep "$every"; do
    IFS=$'\t' read -r n last < <(log_status "$log")
    el=$(( $(date +%s) - start ))
    if ((incremental)); then
      line=$(printf '%6s  %5d objects rebuilt (a full build is about %d)' "$(hms "$el")" "$n" "$total")
    elif ((total > 0 && n > 0 && n < total)); then
      line=$(printf '%6s  %5d/%d objects %3d%%  about %s left' "$(hms "$el")" "$n" "$total" \
        $(( n * 100 / total )) "$(hms $(( el * (total - n) / n )))")
    elif ((total > 0)); then
      line=$(printf '%6s  %5d/%d objects, linking' "$(hms "$el")" "$n" "$total")
    else
      line=$(printf '%6s  %5d objects (no recorded total)' "$(hms "$el")" "$n")
    fi
    if ((tty)); then
      printf '\r[kernel:%s] %s  %.40s\033[K' "$flavour" "$line" "$last" >&2
    else
      printf '[kernel:%s] %s  %s\n' "$flavour" "$line" "$last" >&2
    fi
  done
}
total=$(cat "$ISCSI_INIT_CACHE/$flavour.objects" 2>/dev/null || cat "$here/kernel/$flavour.objects" 2>/dev/null || echo 0)
incremental=0
if [ -n "$seeded" ]; then
  incremental=1
  total=$(cat "$seeded/.iscsi-init-objects" 2>/dev/null || echo "$total")
fi

jobs=$(( $(nproc) + 1 ))
if ((incremental)); then
  say "building with -j$jobs (incremental); log in $out/build.log"
elif ((total > 0)); then
  say "building with -j$jobs, about $total objects; log in $out/build.log"
else
  say "building with -j$jobs; log in $out/build.log"
fi
start=$(date +%s)
: >"$out/build.log"
progress "$out/build.log" "$start" "$total" "$incremental" &
progress_pid=$!
set +e
m -j"$jobs" bzImage modules >"$out/build.log" 2>&1
rc=$?
set -e
kill "$progress_pid" 2>/dev/null; wait "$progress_pid" 2>/dev/null || true
[ -t 2 ] && printf '\n' >&2
if [ "$rc" -ne 0 ]; then tail -40 "$out/build.log" >&2; say "build failed"; exit 1; fi
n=$(log_status "$out/build.log" | cut -f1)
say "compiled $n objects in $(hms $(( $(date +%s) - start )))"
if ((!incremental)); then
  # A cold build's count is the next cold build's expected total.
  echo "$n" >"$out/.iscsi-init-objects"
  echo "$n" >"$ISCSI_INIT_CACHE/$flavour.objects"
  recorded=$(cat "$here/kernel/$flavour.objects" 2>/dev/null || echo 0)
  if (( n * 10 < recorded * 9 || n * 10 > recorded * 11 )); then
    say "note: scripts/kernel/$flavour.objects says $recorded; update it to $n"
  fi
elif [ -f "$seeded/.iscsi-init-objects" ]; then
  cp "$seeded/.iscsi-init-objects" "$out/.iscsi-init-objects"
fi
say "installing modules"
m -s INSTALL_MOD_PATH="$out/modroot" INSTALL_MOD_STRIP=1 modules_install >/dev/null
say "built in $(hms $(( $(date +%s) - start ))): $out"
echo "$srcver" >"$out/.iscsi-init-src"
touch "$out/.iscsi-init-done"
echo "$out"
