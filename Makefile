# SPDX-License-Identifier: GPL-2.0
#
#   make                 build iscsi_init.ko against KDIR (default: the cached
#                        debug test kernel; KDIR=/lib/modules/$(uname -r)/build
#                        works for any Rust-enabled 6.12+ kernel)
#   make helper          build the userland helper (target/debug/iscsi-init)
#   make check           userland: cargo fmt --check, clippy -D warnings, cargo test
#   make kernel          build (or reuse) the cached debug and release kernels
#   make test            what CI runs: check + debug kernel + module + QEMU scenarios
#   make demo            the main job: boot, LIO target, login, I/O on the disk
#   make compare         the fault scenarios (recovery kills, outage, multipath
#                        failover) with open-iscsi in the same boot, for the
#                        comparison figures (RESULT lines in out/compare/*.log)
#   make man completions the helper's manual pages and shell completions (in target/gen)
#   make install         the helper, its man pages, completions and systemd unit
#                        (PREFIX=/usr/local, DESTDIR for staging; CARGO_PROFILE=release)
#   make dkms-source     the module's sources and dkms.conf in $(DESTDIR)/usr/src/iscsi-init-VERSION
#   make deb             Debian packages of the helper and the DKMS module in target/deb
#   make clean

FLAVOUR ?= debug
HOME ?= $(shell getent passwd $$(id -u) | cut -d: -f6)
ifeq ($(origin KDIR), undefined)
# Evaluated when used: targets that do not build the module do not need the
# kernel source package.
KDIR = $(shell scripts/build-kernel.sh --print-dir $(FLAVOUR))
KTOOLS := LLVM=1 RUSTC=/usr/bin/rustc BINDGEN=$(HOME)/.cargo/bin/bindgen
else
# Any Rust-enabled 6.12+ kernel tree or headers (DKMS uses this): LLVM=1 when
# that kernel was built with clang, RUSTC and BINDGEN from the environment
# when set there (the kernel's Makefile would otherwise use plain rustc and
# bindgen from PATH).
KTOOLS ?= $(if $(shell grep -s '^CONFIG_CC_IS_CLANG=y' $(KDIR)/.config),LLVM=1) \
	$(if $(filter environment,$(origin RUSTC)),RUSTC=$(RUSTC)) \
	$(if $(filter environment,$(origin BINDGEN)),BINDGEN=$(BINDGEN))
endif
ifneq ($(wildcard /usr/lib/llvm-19/bin),)
export PATH := /usr/lib/llvm-19/bin:$(PATH)
export LIBCLANG_PATH ?= /usr/lib/llvm-19/lib
endif

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
UNITDIR ?= $(PREFIX)/lib/systemd/system
DKMSDIR ?= /usr/src/iscsi-init-$(VERSION)
# Cargo profile of the installed helper ("dev" builds land in target/debug).
CARGO_PROFILE ?= release
BINDIR_BUILT := target/$(if $(filter dev,$(CARGO_PROFILE)),debug,$(CARGO_PROFILE))
GEN := target/gen

.PHONY: all modules helper check kernel test demo compare fuzz clean setup \
	gen-bins man completions install dkms-source deb

all: modules

modules:
	@test -f $(KDIR)/Module.symvers -o -f $(KDIR)/.iscsi-init-done || \
	  { echo "KDIR=$(KDIR) is not a built kernel: run 'scripts/build-kernel.sh $(FLAVOUR)' or set KDIR" >&2; exit 1; }
	@grep -qs '^CONFIG_RUST=y' $(KDIR)/.config || \
	  { echo "KDIR=$(KDIR): that kernel has no Rust support (CONFIG_RUST=y); see Documentation/dkms.rst" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KTOOLS) modules

helper:
	cargo build -p iscsi-init

setup:
	scripts/setup.sh

check:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace

kernel:
	scripts/build-kernel.sh debug
	scripts/build-kernel.sh release

fuzz:
	scripts/fuzz.sh 60

test:
	scripts/test.sh

demo:
	scripts/demo.sh

# Not part of `make test`: timed tests judge our figures; the anchor figures
# of open-iscsi come from this run (or scripts/bench.sh for the data path).
compare: helper modules
	E2E_OPEN_ISCSI=1 scripts/qemu-test.sh --out out/compare \
	  e2e-recovery-kills e2e-recovery-outage e2e-multipath

# --- man pages, completions, install, packages
gen-bins:
	cargo build --profile $(CARGO_PROFILE) -p iscsi-init --bins

man: gen-bins
	rm -rf $(GEN)/man
	$(BINDIR_BUILT)/iscsi-init-gen man $(GEN)/man >/dev/null
	cp Documentation/man/iscsi-init.toml.5 $(GEN)/man/

completions: gen-bins
	rm -rf $(GEN)/completions
	$(BINDIR_BUILT)/iscsi-init-gen completions $(GEN)/completions >/dev/null

# The systemd unit, when there is one, gets ExecStart pointing at the
# installed helper.
install: man completions
	install -D -m 0755 $(BINDIR_BUILT)/iscsi-init $(DESTDIR)$(SBINDIR)/iscsi-init
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(GEN)/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(GEN)/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -D -m 0644 $(GEN)/completions/iscsi-init.bash $(DESTDIR)$(BASHCOMPDIR)/iscsi-init
	install -D -m 0644 $(GEN)/completions/_iscsi-init $(DESTDIR)$(ZSHCOMPDIR)/_iscsi-init
	install -D -m 0644 $(GEN)/completions/iscsi-init.fish $(DESTDIR)$(FISHCOMPDIR)/iscsi-init.fish
	if [ -f systemd/iscsi-init.service ]; then \
	  install -d $(DESTDIR)$(UNITDIR) && \
	  sed 's|/usr/sbin/iscsi-init|$(SBINDIR)/iscsi-init|g' systemd/iscsi-init.service \
	    >$(DESTDIR)$(UNITDIR)/iscsi-init.service && \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/iscsi-init.service; fi

# What DKMS builds: Kbuild, this Makefile, dkms.conf and the module's Rust
# sources (kmod/, and the codec and ABI files it compiles), no build output.
dkms-source:
	rm -rf $(DESTDIR)$(DKMSDIR); install -d $(DESTDIR)$(DKMSDIR)
	tar -cf - --exclude=fuzz --exclude=target --exclude=tests --exclude='*.o' --exclude='*.ko' \
	  --exclude='*.cmd' --exclude='*.mod' --exclude='*.mod.c' --exclude='*.d' --exclude='*.rmeta' \
	  --exclude=bindings_generated.rs \
	  Kbuild Makefile dkms.conf LICENSE kmod/*.rs kmod/sys kmod/core/src abi/src/iscsi_init_abi.rs codec/src \
	  | tar -C $(DESTDIR)$(DKMSDIR) -xf -

deb:
	scripts/build-deb.sh target/deb

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) $(KTOOLS) clean 2>/dev/null
	rm -f kmod/sys/bindings_generated.rs
