# Sourced by the build scripts: the toolchain the kernel and the module are built with.
# Kernel and module must use the same rustc (the module links against the
# kernel crate's .rmeta), so both come from here.
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export PATH="/usr/lib/llvm-19/bin:$PATH"
KRUSTC=${KRUSTC:-/usr/bin/rustc}
KBINDGEN=${KBINDGEN:-$HOME/.cargo/bin/bindgen}
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}
KMAKEFLAGS=(LLVM=1 "RUSTC=$KRUSTC" "BINDGEN=$KBINDGEN")
ISCSI_INIT_CACHE=${ISCSI_INIT_CACHE:-/var/cache/iscsi-init}
