#!/usr/bin/env bash
# Checks of what users install, fast enough for the userland step of
# scripts/test.sh (uses the debug build of the helper):
#   - `make install DESTDIR=...` puts every file in its place, with PREFIX
#     /usr/local (the default) and /usr;
#   - each man page renders with `man -l` without warnings and documents
#     every subcommand; the completions load in bash (and zsh, fish when
#     installed);
#   - scripts/build-deb.sh builds both packages and their file lists are
#     exactly what is expected; dkms.conf's version is the workspace's.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
t0=$SECONDS
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "test-packaging: FAIL: $*" >&2; exit 1; }
ok() { echo "test-packaging: ok: $*"; }

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
unit=0; [ -f systemd/iscsi-init.service ] && unit=1

# expected_install PREFIX ZSHDIR: the file list of an install under PREFIX.
expected_install() {
  local p=$1 zsh=$2 c
  echo "$p/sbin/iscsi-init"
  echo "$p/share/man/man8/iscsi-init.8"
  for c in $commands; do echo "$p/share/man/man8/iscsi-init-$c.8"; done
  echo "$p/share/man/man5/iscsi-init.toml.5"
  echo "$p/share/bash-completion/completions/iscsi-init"
  echo "$zsh/_iscsi-init"
  echo "$p/share/fish/vendor_completions.d/iscsi-init.fish"
  if ((unit)); then echo "$p/lib/systemd/system/iscsi-init.service"; fi
}
compare() { # WHAT EXPECTED-FILE ACTUAL-FILE
  if ! diff -u <(sort "$2") <(sort "$3") >"$tmp/diff"; then
    cat "$tmp/diff" >&2; fail "$1: file list differs from the expected one (- expected, + actual)"
  fi
}

# --- make install, default PREFIX
make -s install DESTDIR="$tmp/root" CARGO_PROFILE=dev >/dev/null
# Subcommands as clap lists them ("help" is clap's own).
commands=$("$tmp/root/usr/local/sbin/iscsi-init" --help \
  | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }' | grep -vx help || true)
[ -n "$commands" ] || fail "no subcommands in 'iscsi-init --help'"
(cd "$tmp/root" && find . -type f -printf '/%P\n') >"$tmp/actual"
expected_install /usr/local /usr/local/share/zsh/site-functions >"$tmp/expected"
compare "make install (PREFIX=/usr/local)" "$tmp/expected" "$tmp/actual"
[ -x "$tmp/root/usr/local/sbin/iscsi-init" ] || fail "installed helper is not executable"
if ((unit)); then
  grep -qx 'ExecStart=/usr/local/sbin/iscsi-init .*' "$tmp/root/usr/local/lib/systemd/system/iscsi-init.service" \
    || fail "the installed unit's ExecStart is not /usr/local/sbin/iscsi-init"
fi
ok "make install DESTDIR PREFIX=/usr/local: $(wc -l <"$tmp/actual") files in place"

# --- man pages render without warnings; the main page names every subcommand
for page in "$tmp"/root/usr/local/share/man/man*/*; do
  MANWIDTH=80 man --warnings -l "$page" >"$tmp/page.txt" 2>"$tmp/page.err" || fail "man -l $page failed"
  if [ -s "$tmp/page.err" ]; then cat "$tmp/page.err" >&2; fail "man -l $(basename "$page") warns"; fi
  [ "$(wc -l <"$tmp/page.txt")" -ge 10 ] || fail "$(basename "$page") renders to almost nothing"
done
MANWIDTH=80 man -l "$tmp/root/usr/local/share/man/man8/iscsi-init.8" >"$tmp/main.txt" 2>/dev/null
for c in $commands; do
  grep -q "iscsi-init-$c(8)" "$tmp/main.txt" || fail "iscsi-init(8) does not refer to iscsi-init-$c(8)"
done
grep -q 'iscsi-init.toml(5)' "$tmp/main.txt" || fail "iscsi-init(8) does not refer to iscsi-init.toml(5)"
ok "man -l renders $(ls "$tmp"/root/usr/local/share/man/man*/* | wc -l) pages without warnings"

# --- completions load
out=$(bash -c 'source "$1" && complete -p iscsi-init' _ "$tmp/root/usr/local/share/bash-completion/completions/iscsi-init") \
  || fail "bash completion does not load"
[[ "$out" == complete*iscsi-init ]] || fail "bash completion registers '$out'"
# The bash completion offers the subcommands after "iscsi-init " (calling
# the function `complete -p` names, as bash would).
fn=$(sed -n 's/.* -F \([^ ]*\) .*/\1/p' <<<"$out")
[ -n "$fn" ] || fail "bash completion registers no function: '$out'"
words=$(bash -c 'source "$1"; COMP_WORDS=(iscsi-init ""); COMP_CWORD=1; COMP_LINE="iscsi-init "; COMP_POINT=${#COMP_LINE}
  "$2" iscsi-init "" iscsi-init; printf "%s\n" "${COMPREPLY[@]}"' _ "$tmp/root/usr/local/share/bash-completion/completions/iscsi-init" "$fn")
for c in $commands; do grep -qx "$c" <<<"$words" || fail "bash completion does not offer '$c'"; done
if command -v zsh >/dev/null; then zsh -n "$tmp/root/usr/local/share/zsh/site-functions/_iscsi-init" || fail "zsh completion: syntax"; fi
if command -v fish >/dev/null; then fish -n "$tmp/root/usr/local/share/fish/vendor_completions.d/iscsi-init.fish" || fail "fish completion: syntax"; fi
ok "bash completion loads ($out) and offers: $(echo $commands)"

# --- PREFIX=/usr
make -s install DESTDIR="$tmp/root-usr" PREFIX=/usr CARGO_PROFILE=dev >/dev/null
(cd "$tmp/root-usr" && find . -type f -printf '/%P\n') >"$tmp/actual"
expected_install /usr /usr/share/zsh/site-functions >"$tmp/expected"
compare "make install PREFIX=/usr" "$tmp/expected" "$tmp/actual"
ok "make install DESTDIR PREFIX=/usr"

# --- Debian packages
grep -qx "PACKAGE_VERSION=\"$version\"" dkms.conf || fail "dkms.conf's PACKAGE_VERSION is not $version (Cargo.toml)"
mapfile -t debs < <(scripts/build-deb.sh --profile dev "$tmp/deb")
((${#debs[@]} == 2)) || fail "build-deb.sh made ${#debs[@]} packages, want 2"
arch=$(dpkg --print-architecture)
helper_deb=$tmp/deb/iscsi-init_${version}-1_${arch}.deb
dkms_deb=$tmp/deb/iscsi-init-dkms_${version}-1_all.deb
[ -f "$helper_deb" ] && [ -f "$dkms_deb" ] || fail "packages not named as expected: ${debs[*]}"
listing() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }'; }

listing "$helper_deb" >"$tmp/actual"
expected_install /usr /usr/share/zsh/vendor-completions \
  | sed -E 's|^/usr/lib/systemd/|/lib/systemd/|; s|(/man[58]/.*)$|\1.gz|' >"$tmp/expected"
echo /usr/share/doc/iscsi-init/copyright >>"$tmp/expected"
compare "iscsi-init .deb" "$tmp/expected" "$tmp/actual"
if ((unit)); then
  dpkg-deb --fsys-tarfile "$helper_deb" | tar -xOf - ./lib/systemd/system/iscsi-init.service >"$tmp/unit"
  grep -qx 'ExecStart=/usr/sbin/iscsi-init .*' "$tmp/unit" || fail "iscsi-init .deb: the unit's ExecStart is not /usr/sbin/iscsi-init"
fi
[[ "$(dpkg-deb -f "$helper_deb" Depends)" == *libc6* ]] || fail "iscsi-init .deb: no libc6 dependency"
owners=$(dpkg-deb -c "$helper_deb" | awk '{ print $2 }' | sort -u)
[ "$owners" = root/root ] || fail "iscsi-init .deb: files owned by $owners, not root/root"
ok "$(basename "$helper_deb"): $(wc -l <"$tmp/actual") files, Depends: $(dpkg-deb -f "$helper_deb" Depends)"

listing "$dkms_deb" >"$tmp/actual"
src=/usr/src/iscsi-init-$version
for f in Kbuild Makefile dkms.conf LICENSE kmod/iscsi_init.rs kmod/sys/shim.c kmod/sys/bindings.h \
    kmod/sys/bindgen_parameters kmod/core/src/lib.rs abi/src/iscsi_init_abi.rs codec/src/lib.rs; do
  grep -qx "$src/$f" "$tmp/actual" || fail "iscsi-init-dkms .deb lacks $src/$f"
done
# Every Rust file the module compiles is there.
for f in kmod/*.rs kmod/sys/*.rs kmod/core/src/*.rs codec/src/*.rs; do
  [ "$f" = kmod/sys/bindings_generated.rs ] && continue
  grep -qx "$src/$f" "$tmp/actual" || fail "iscsi-init-dkms .deb lacks $src/$f"
done
if grep -E '\.(o|ko|cmd|mod|rmeta)$|/target/|/fuzz/|bindings_generated' "$tmp/actual"; then
  fail "iscsi-init-dkms .deb holds build output"
fi
[[ "$(dpkg-deb -f "$dkms_deb" Depends)" == *dkms* ]] || fail "iscsi-init-dkms .deb does not depend on dkms"
control=$(dpkg-deb --ctrl-tarfile "$dkms_deb" | tar -tf -)
grep -qx './postinst' <<<"$control" && grep -qx './prerm' <<<"$control" || fail "iscsi-init-dkms .deb has no postinst or prerm"
ok "$(basename "$dkms_deb"): $(wc -l <"$tmp/actual") files under $src"

echo "test-packaging: all passed in $((SECONDS - t0))s"
