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
#   make clean

FLAVOUR ?= debug
HOME ?= $(shell getent passwd $$(id -u) | cut -d: -f6)
ifeq ($(origin KDIR), undefined)
KDIR := $(shell scripts/build-kernel.sh --print-dir $(FLAVOUR))
KTOOLS := LLVM=1 RUSTC=/usr/bin/rustc BINDGEN=$(HOME)/.cargo/bin/bindgen
else
KTOOLS ?=
endif
export PATH := /usr/lib/llvm-19/bin:$(PATH)
export LIBCLANG_PATH ?= /usr/lib/llvm-19/lib

.PHONY: all modules helper check kernel test demo fuzz clean setup

all: modules

modules:
	@test -f $(KDIR)/Module.symvers -o -f $(KDIR)/.iscsi-init-done || \
	  { echo "KDIR=$(KDIR) is not a built kernel: run 'scripts/build-kernel.sh $(FLAVOUR)' or set KDIR" >&2; exit 1; }
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

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) $(KTOOLS) clean 2>/dev/null
	rm -f kmod/sys/bindings_generated.rs
