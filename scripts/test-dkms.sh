#!/usr/bin/env bash
# A real DKMS build of iscsi_init.ko (Documentation/dkms.rst):
#
#   scripts/test-dkms.sh [KERNEL_BUILD_DIR]     (default: the debug test kernel)
#
# `make dkms-source` puts the module's sources into a scratch tree, then
# `dkms add`, `dkms build` and `dkms install` run on them with dkms's trees
# (--sourcetree, --dkmstree, --installtree) in that scratch directory, so
# nothing under /usr/src, /var/lib/dkms or /lib/modules changes. Passes when
# DKMS built and installed a module whose version magic is that kernel's.
set -euo pipefail
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export PATH="/usr/lib/llvm-19/bin:$HOME/.cargo/bin:$PATH"
cd "$(dirname "$0")/.."
fail() { echo "test-dkms: FAILED: $*" >&2; exit 1; }
ok() { echo "test-dkms: ok: $*" >&2; }

command -v dkms >/dev/null || fail "dkms is not installed (scripts/setup.sh installs it)"
kbuild=${1:-$(scripts/build-kernel.sh --print-dir debug)}
[ -f "$kbuild/include/config/kernel.release" ] || fail "$kbuild is not a built kernel"
kver=$(cat "$kbuild/include/config/kernel.release")
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

make -s dkms-source DESTDIR="$tmp" DKMSDIR="/src/iscsi-init-$version"
# The toolchain the test kernel was built with (dkms passes the environment
# on to dkms.conf's MAKE, and the Makefile takes RUSTC and BINDGEN from it).
export RUSTC=/usr/bin/rustc BINDGEN="$HOME/.cargo/bin/bindgen"
trees=(--sourcetree "$tmp/src" --dkmstree "$tmp/dkms" --installtree "$tmp/modules")
# dkms install wants the kernel's module directory to exist in the install tree.
mkdir -p "$tmp/dkms" "$tmp/modules/$kver"
run() { "$@" >"$tmp/dkms.log" 2>&1 || { cat "$tmp/dkms.log" >&2; fail "$*"; }; }
run dkms add -m iscsi-init -v "$version" "${trees[@]}"
ok "dkms add iscsi-init/$version"
run dkms build -m iscsi-init -v "$version" -k "$kver" --kernelsourcedir "$kbuild" "${trees[@]}"
built=$(find "$tmp/dkms/iscsi-init/$version/$kver" -name 'iscsi_init.ko*' | head -n 1)
[ -n "$built" ] || { cat "$tmp/dkms.log" >&2; fail "dkms build left no iscsi_init.ko"; }
magic=$(modinfo -F vermagic "$built")
[ "${magic%% *}" = "$kver" ] || fail "the DKMS-built module's vermagic is '$magic', not $kver"
ok "dkms build -k $kver: $(basename "$built"), vermagic '$magic'"
run dkms install -m iscsi-init -v "$version" -k "$kver" --kernelsourcedir "$kbuild" "${trees[@]}" --no-depmod
inst=$(find "$tmp/modules" -name 'iscsi_init.ko*' | head -n 1)
[ -n "$inst" ] || { cat "$tmp/dkms.log" >&2; fail "dkms install put no iscsi_init.ko under the install tree"; }
ok "dkms install: ${inst#"$tmp/modules/"}"
run dkms status -m iscsi-init "${trees[@]}"
grep -q "installed" "$tmp/dkms.log" || { cat "$tmp/dkms.log" >&2; fail "dkms status does not say installed"; }
ok "dkms status: $(cat "$tmp/dkms.log")"
