#!/usr/bin/env bash
# Harness test: the repository works from any checkout path. Copies the work
# tree (tracked and untracked files, no build output) to a directory with a
# space in its name under /tmp (which the guest mounts a fresh tmpfs on) and
# runs the checkout-path scenario from there, with the same (cached) kernel.
#
#   scripts/test-checkout-path.sh [--flavour debug|release]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
t0=$SECONDS
dest=$(mktemp -d "/tmp/iscsi init checkout.XXXXXX")
trap 'rm -rf "$dest"' EXIT
clone=$dest/repo
mkdir -p "$clone"
# What `git clone` of this work tree would give, with uncommitted changes.
git -C "$repo" ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$repo/$f" ] && printf '%s\0' "$f"; done \
  | tar -C "$repo" --null -T - -cf - | tar -C "$clone" -xf -
echo "[checkout-path] copied the work tree to '$clone' in $((SECONDS - t0))s" >&2
"$clone/scripts/qemu-test.sh" "$@" --out "$clone/out/checkout-path" checkout-path
# The guest's writes stay in the guest.
[ ! -e "$clone/.checkout-path-probe" ] || { echo "[checkout-path] the guest wrote into the host's copy" >&2; exit 1; }
grep -q "repository at '$clone'" "$clone/out/checkout-path/checkout-path.log" \
  || { echo "[checkout-path] the guest did not see the repository at '$clone'" >&2; exit 1; }
echo "[checkout-path] passed in $((SECONDS - t0))s" >&2
