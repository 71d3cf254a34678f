#!/usr/bin/env bash
# Build (or reuse) the test kernel from Debian's linux-source-6.12.
#
#   scripts/build-kernel.sh [debug|release]          build if needed, print the build dir
#   scripts/build-kernel.sh --print-dir [debug|release]   only print where it is/would be
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
  cat "$here/kernel/common.config" "$here/kernel/$flavour.config"
  "$KRUSTC" --version; clang --version | head -1; "$KBINDGEN" --version
} | sha256sum | cut -c1-16)
src=$ISCSI_INIT_CACHE/src/linux-$srcver
out=$ISCSI_INIT_CACHE/kernel-$flavour-$key

if [ "$print_only" = 1 ]; then echo "$out"; exit 0; fi

if [ -f "$out/.iscsi-init-done" ]; then
  say "cached: $out"
  echo "$out"; exit 0
fi

mkdir -p "$ISCSI_INIT_CACHE/src"
if [ ! -f "$src/.extracted" ]; then
  say "extracting $tarball ($srcver)"
  rm -rf "$src" "$src.tmp"; mkdir -p "$src.tmp"
  tar -C "$src.tmp" -xf "$tarball" --strip-components=1
  touch "$src.tmp/.extracted"; mv "$src.tmp" "$src"
fi

rm -rf "$out"
# Seed from the newest finished build of this flavour from the same source (an
# older fragment or toolchain): Kbuild then rebuilds only what the change
# touches, a minute or two instead of a cold build.
seed=$(ls -dt "$ISCSI_INIT_CACHE/kernel-$flavour-"*/.iscsi-init-done 2>/dev/null | head -n 1 || true)
if [ -n "$seed" ] && [ "$(cat "$(dirname "$seed")/.iscsi-init-src" 2>/dev/null)" = "$srcver" ]; then
  seed=$(dirname "$seed")
  say "seeding from $seed (incremental build)"
  cp -a "$seed" "$out.tmp" && rm -f "$out.tmp/.iscsi-init-done" && rm -rf "$out.tmp/modroot" && mv "$out.tmp" "$out"
  # Old builds of this flavour are superseded; keep only the newest two.
  ls -dt "$ISCSI_INIT_CACHE/kernel-$flavour-"* | tail -n +3 | xargs -r rm -rf
fi
mkdir -p "$out"
m() { make -C "$src" O="$out" "${KMAKEFLAGS[@]}" "$@"; }
say "configuring: defconfig + kvm_guest.config + common.config + $flavour.config"
m -s defconfig kvm_guest.config >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
  "$here/kernel/common.config" "$here/kernel/$flavour.config" >/dev/null
m -s olddefconfig >/dev/null
# merge_config does not fail when a dependency drops an option: check the ones we rely on.
for opt in $(grep -h '^CONFIG_.*=[ym]' "$here/kernel/common.config" "$here/kernel/$flavour.config"); do
  if ! grep -qx "$opt" "$out/.config"; then
    echo "kernel config: $opt did not stick (see 'make menuconfig' dependencies)" >&2
    m -s rustavailable >&2 || true
    exit 1
  fi
done

jobs=$(( $(nproc) + 1 ))
say "building with -j$jobs (about 20 minutes cold); log in $out/build.log"
start=$(date +%s)
set +e
m -j"$jobs" bzImage modules 2>&1 | tee "$out/build.log" | awk -v f="$flavour" -v s="$start" '
  / (CC|RUSTC|LD|AR)( \[M\])? / { n++ }
  { if (systime() - last >= 30) { last = systime(); printf "[kernel:%s] %4ds  %6d objects  %s\n", f, systime() - s, n, $0; fflush() } }'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then tail -40 "$out/build.log" >&2; say "build failed"; exit 1; fi
say "installing modules"
m -s INSTALL_MOD_PATH="$out/modroot" INSTALL_MOD_STRIP=1 modules_install >/dev/null
say "built in $(( $(date +%s) - start ))s: $out"
echo "$srcver" >"$out/.iscsi-init-src"
touch "$out/.iscsi-init-done"
echo "$out"
