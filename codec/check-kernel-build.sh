#!/usr/bin/env bash
# Build the codec the way the kernel does, without a kernel tree: with the
# kernel's rustc (default /usr/bin/rustc, Debian rustc-web), edition 2021,
# for x86_64-unknown-none with a `core` built from the toolchain's library
# sources, overflow checks on, -D warnings; once as a crate (src/lib.rs) and
# once as the module tree kmod/iscsi_init.rs uses (#[path] + pub mod list).
set -euo pipefail
RUSTC=${RUSTC:-/usr/bin/rustc}
here=$(cd "$(dirname "$0")" && pwd)
src=$("$RUSTC" --print sysroot)/lib/rustlib/src/rust/library
[ -f "$src/core/src/lib.rs" ] || { echo "no library sources at $src (install rust-web-src)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export RUSTC_BOOTSTRAP=1
T=(--target x86_64-unknown-none -C panic=abort)
echo "[kbuild] $("$RUSTC" --version): core for x86_64-unknown-none"
"$RUSTC" --edition 2024 --crate-type rlib --crate-name core "${T[@]}" -C opt-level=1 --cap-lints allow \
  "$src/core/src/lib.rs" --out-dir "$out"
printf '#![feature(compiler_builtins)]\n#![compiler_builtins]\n#![no_builtins]\n#![no_std]\n' >"$out/cb.rs"
"$RUSTC" --edition 2021 --crate-type rlib --crate-name compiler_builtins "${T[@]}" -Z unstable-options \
  --extern noprelude:core="$out/libcore.rlib" --cap-lints allow "$out/cb.rs" --out-dir "$out"
F=(--edition 2021 --crate-type rlib "${T[@]}" -C overflow-checks=on -C opt-level=2 -Z unstable-options
   --extern noprelude:core="$out/libcore.rlib" --extern noprelude:compiler_builtins="$out/libcompiler_builtins.rlib"
   -D warnings -D non_ascii_idents -W rust_2018_idioms -W unreachable_pub -W missing_docs)
echo "[kbuild] codec as a crate"
"$RUSTC" "${F[@]}" --crate-name iscsi_codec "$here/src/lib.rs" --out-dir "$out"
mods=$(sed -n 's|^//!     pub mod \(.*\);$|    pub mod \1;|p' "$here/src/lib.rs")
cat >"$out/kmod_sim.rs" <<RS
//! Stand-in for kmod/iscsi_init.rs.
#![no_std]
#![forbid(unsafe_code)]
#[path = "$here/src"]
#[allow(dead_code, unreachable_pub)]
mod codec {
$mods
}
/// A receive-loop step.
pub fn rx(bhs: &[u8; 48]) -> Result<usize, codec::error::CodecError> {
    Ok(codec::pdu::Pdu::decode(bhs)?.layout(true, true, 262_144)?.after_bhs())
}
RS
echo "[kbuild] codec as the kernel's module tree"
"$RUSTC" "${F[@]}" --crate-name kmod_sim "$out/kmod_sim.rs" --out-dir "$out"
echo "[kbuild] ok"
