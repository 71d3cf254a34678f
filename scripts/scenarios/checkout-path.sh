# checkout-path: the guest sees the repository at its host path wherever it
# is checked out. scripts/test-checkout-path.sh boots this from a copy under
# /tmp with a space in its path (the guest's fresh /tmp would hide it);
# from any other checkout it checks the same things.
log "repository at '$REPO'"
[ -f "$REPO/scripts/guest/lib.sh" ] || die "$REPO/scripts/guest/lib.sh not visible in the guest"
[ "$(pwd)" = "$REPO" ] || die "scenario runs in '$(pwd)', not in '$REPO'"
[ -f "$REPO/scripts/scenarios/checkout-path.sh" ] || die "the scenarios of $REPO are not visible"
# The guest's /tmp and /run are its own, empty at boot but for what the guest made.
[ "$(stat -f -c %T /tmp)" = tmpfs ] || die "/tmp is not a tmpfs"
[ "$(stat -f -c %T /run)" = tmpfs ] || die "/run is not a tmpfs"
# The repository is writable in the guest, as the rest of its root is.
probe="$REPO/.checkout-path-probe"
echo guest >"$probe" || die "cannot write in $REPO"
[ "$(cat "$probe")" = guest ] || die "wrote in $REPO but read back something else"
rm -f "$probe"
# The kernel's modules are reachable (the kernel build may be under /tmp too).
[ -d "/lib/modules/$KVER/kernel" ] || die "/lib/modules/$KVER is not reachable (KBUILD=$KBUILD)"
log "checkout-path OK"
