#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 machine: installs what iscsi-init needs
# to build the test kernel, the module, the helper, and to run the QEMU guest.
# Skips what is already present and says what it does.
set -euo pipefail
# cargo and bindgen live in ~/.cargo/bin (rustup, cargo install).
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '[setup] %s\n' "$*"; }

PKGS=(
  # kernel Rust toolchain (matched rustc + library sources) and LLVM 19
  rustc-web rust-web-src clang-19 lld-19 llvm-19 libclang-19-dev
  # kernel build
  build-essential flex bison bc libelf-dev libssl-dev cpio kmod xz-utils
  rsync linux-source-6.12
  # guest
  qemu-system-x86 busybox-static
  # in-guest and host test tools
  fio sg3-utils e2fsprogs tgt istgt open-iscsi iperf3 procps util-linux iproute2 jq dmsetup
  # scripts/bench.sh --perf (perf record in the guest)
  linux-perf
  # the DKMS build test (scripts/test-dkms.sh)
  dkms
  # dm-multipath scenarios (multipathd, multipath) and the netns scenario (ip netns)
  multipath-tools
  # bash's loadable builtins (sleep, mkdir, cut, ...): the guest library's
  # polling loops run without an exec each time
  bash-builtins
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "setup: must run as root to install packages" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  # Do not let package scripts start tgtd/iscsid on the host: tests start their own.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$created_policy" = 1 ] && rm -f "$policy"
else
  say "Debian packages: all present"
fi

# bindgen-cli: Debian's is too old for the kernel (needs >= 0.65.1).
BINDGEN="$HOME/.cargo/bin/bindgen"
if [ -x "$BINDGEN" ] && "$BINDGEN" --version 2>/dev/null | grep -q "bindgen"; then
  say "bindgen: $("$BINDGEN" --version)"
else
  say "installing bindgen-cli from crates.io (about 2 minutes)"
  LIBCLANG_PATH=/usr/lib/llvm-19/lib cargo install --locked bindgen-cli
fi

# Userland Rust components for the test command.
if command -v rustup >/dev/null 2>&1; then
  for c in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
      say "adding rustup component $c"
      rustup component add "$c" || true
    fi
  done
fi

say "done"
