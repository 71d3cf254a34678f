#!/usr/bin/env bash
# Build the Debian packages with dpkg-deb alone (no debhelper, no cargo-deb):
#
#   scripts/build-deb.sh [--profile release|dev] OUTDIR
#
#   iscsi-init_VERSION-1_ARCH.deb      the helper (/usr/sbin/iscsi-init), its
#                                      man pages, bash/zsh/fish completions and,
#                                      when systemd/iscsi-init.service exists,
#                                      the unit
#   iscsi-init-dkms_VERSION-1_all.deb  the module's sources in
#                                      /usr/src/iscsi-init-VERSION with dkms.conf;
#                                      installing it runs dkms add and install
#
# Prints the paths of the two packages. --profile dev packages the debug build
# (what scripts/test-packaging.sh uses, to stay fast).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
profile=release
if [ "${1:-}" = --profile ]; then profile=$2; shift 2; fi
[ $# = 1 ] || { echo "usage: $0 [--profile release|dev] OUTDIR" >&2; exit 2; }
mkdir -p "$1"; outdir=$(cd "$1" && pwd)

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n 1)
debver=$version-1
arch=$(dpkg --print-architecture)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
maintainer="iscsi-init developers <iscsi-init@localhost>"

copyright() { # DOCDIR
  install -d "$1"
  { echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: iscsi-init"
    echo
    echo "Files: *"
    echo "License: GPL-2.0-only"
    echo " On Debian systems the full text is in /usr/share/common-licenses/GPL-2."
  } >"$1/copyright"
}

finish() { # ROOT: md5sums, sizes, build
  local root=$1
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0r md5sum) >"$root/DEBIAN/md5sums"
  # Files as root:root in the package whoever builds it.
  dpkg-deb --root-owner-group -Zxz --build "$root" "$outdir" | sed -n "s/.*building package '[^']*' in '\(.*\)'\./\1/p"
}

# --- the helper
root=$work/helper
make -C "$repo" -s install DESTDIR="$root" PREFIX=/usr CARGO_PROFILE="$profile" \
  ZSHCOMPDIR=/usr/share/zsh/vendor-completions UNITDIR=/lib/systemd/system >/dev/null
gzip -9n "$root"/usr/share/man/man*/*
# As dh_strip does (without the -dbgsym package).
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/sbin/iscsi-init"
copyright "$root/usr/share/doc/iscsi-init"
# Shared-library dependencies, the way debhelper computes them.
mkdir -p "$work/shlibs/debian"
printf 'Source: iscsi-init\n\nPackage: iscsi-init\nArchitecture: any\n' >"$work/shlibs/debian/control"
depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O "$root/usr/sbin/iscsi-init" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
install -d "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<EOF
Package: iscsi-init
Version: $debver
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: iscsi-init-dkms (= $debver)
Section: admin
Priority: optional
Description: iSCSI initiator helper for the iscsi_init kernel module
 iscsi-init discovers iSCSI targets (SendTargets), logs in with CHAP (MD5,
 SHA-1, SHA-256, SHA3-256, one-way or mutual), negotiates the session
 parameters and hands the connected socket to the iscsi_init kernel module,
 which presents the target's LUNs as SCSI disks.
EOF
if [ -f "$root/lib/systemd/system/iscsi-init.service" ]; then
  # The unit is shipped, not enabled: enabling it is the administrator's choice.
  printf '#!/bin/sh\nset -e\nif [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi\n' >"$root/DEBIAN/postinst"
  chmod 0755 "$root/DEBIAN/postinst"
fi
finish "$root"

# --- the DKMS module source
root=$work/dkms
make -C "$repo" -s dkms-source DESTDIR="$root" DKMSDIR="/usr/src/iscsi-init-$version" >/dev/null
copyright "$root/usr/share/doc/iscsi-init-dkms"
install -d "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<EOF
Package: iscsi-init-dkms
Version: $debver
Architecture: all
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: dkms, make, clang | gcc
Section: kernel
Priority: optional
Description: iscsi_init kernel module (a Rust iSCSI initiator), DKMS source
 The sources of iscsi_init.ko for DKMS. The kernel must be 6.12 or newer,
 built with CONFIG_RUST=y, and its headers must carry the Rust build
 artefacts; rustc and bindgen must match the kernel's (see
 Documentation/dkms.rst).
EOF
cat >"$root/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
if [ "\$1" = configure ]; then
  dkms add -m iscsi-init -v $version >/dev/null 2>&1 || true
  # Build for the running kernel when its headers are there; a kernel without
  # Rust support is skipped by dkms.conf's BUILD_EXCLUSIVE_* rules.
  if [ -d "/lib/modules/\$(uname -r)/build" ]; then
    dkms install -m iscsi-init -v $version -k "\$(uname -r)" || \\
      echo "iscsi-init-dkms: building iscsi_init.ko for \$(uname -r) failed (see Documentation/dkms.rst)" >&2
  fi
fi
EOF
cat >"$root/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
dkms remove -m iscsi-init -v $version --all >/dev/null 2>&1 || true
EOF
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm"
finish "$root"
