# MelloOS build system. `make help` lists every target and variable: it is
# generated from the `## ` comments below (keep one on each target and
# variable the user may set).
#
#   make build      kernel, user programs, ramdisk and ISO (build/)
#   make run        boot it in QEMU on this terminal; fails unless init exits 0
#   make test       host unit tests + QEMU integration tests
#   make debug      QEMU waiting for GDB (PROG=NAME: a user program's symbols too)
#   make help       everything else

SHELL := /bin/bash
BUILD := build
PROFILE ?= release## kernel cargo profile: release, dev (debug), fast (no debug assertions)
SMP ?= 4## number of CPUs for run and debug (1-16)
CMDLINE ?=## kernel command line baked into the ISO, e.g. CMDLINE='init=/bin/utest'
N ?= 20## test-repeat: how many times to run the QEMU matrix
LOAD ?= 0## test-repeat: busy loops to run on the host beside the tests
TEST_ONLY ?=## test, test-repeat: regex, run only the tests whose names match ('^init-')
TEST_JOBS ?=## test, test-repeat: QEMU tests run at a time (default 2)
PROG ?=## debug: a user program (userspace/programs/PROG) whose symbols gdb loads too
NAME ?=## new-program: the new program's name (/bin/NAME)
USER_DEBUG ?=## 1: build the user programs with full debug info (source-level gdb on them)
FUZZ_CALLS ?= 10000000## fuzz: system calls to make
FUZZ_SEED ?=## fuzz: the seed (default random; a finding's seed replays it)
SOAK_SECONDS ?= 600## soak: how long the mixed workload runs
SOAK_SMP ?= 16## soak: CPUs
SOAK_SEED ?=## soak: the seed (default random)
export FUZZ_CALLS FUZZ_SEED SOAK_SECONDS SOAK_SMP SOAK_SEED
export TEST_ONLY TEST_JOBS

# cargo puts the `dev` profile in target/.../debug.
PROFILE_DIR := $(if $(filter dev,$(PROFILE)),debug,$(PROFILE))
KERNEL_ELF := kernel/target/x86_64-unknown-none/$(PROFILE_DIR)/kernel
USER_BIN := userspace/target/x86_64-unknown-none/release

.PHONY: all build kernel userspace check-programs initrd iso run test unit-test doc \
	test-repeat bench fuzz soak debug new-program help clean deps

all: build ## same as build

help: ## this list
	@echo "usage: make [TARGET] [VAR=value ...]"
	@echo "targets:"
	@sed -n 's/^\([a-z][a-z-]*\):.*## \(.*\)/\1|\2/p' $(firstword $(MAKEFILE_LIST)) | \
		while IFS='|' read -r t d; do printf '  %-16s %s\n' "$$t" "$$d"; done
	@echo "variables:"
	@sed -n 's/^\([A-Z_]*\) ?= *\([^#]*\)## \(.*\)/\1|\2|\3/p' $(firstword $(MAKEFILE_LIST)) | \
		while IFS='|' read -r v def d; do \
			printf '  %-16s %s%s\n' "$$v=$$def" "$$d" ; \
		done

deps: ## install (or name) the Debian packages and rustup target the build needs
	@tools/deps.sh

build: deps kernel userspace initrd iso ## kernel, user programs, ramdisk, ISO (build/)

kernel: ## the kernel only (build/kernel.elf; PROFILE)
	cd kernel && cargo build --profile $(PROFILE)
	@mkdir -p $(BUILD)
	cp $(KERNEL_ELF) $(BUILD)/kernel.elf

check-programs: ## check userspace/programs (unique /bin names, entry! in main.rs)
	@tools/check-programs.py

# USER_DEBUG=1 must also beat the per-program profile overrides of
# userspace/Cargo.toml (e.g. utest's line tables), which env vars cannot.
USER_DEBUG_OVERRIDES = $(foreach p,$(shell sed -n 's/^\[profile\.release\.package\.\([A-Za-z0-9_-]*\)\]$$/\1/p' userspace/Cargo.toml 2>/dev/null),--config 'profile.release.package.$(p).debug=true')
userspace: check-programs ## the user programs (userspace/target/.../release/NAME)
	@if [ -d userspace ]; then cd userspace && $(if $(USER_DEBUG),CARGO_PROFILE_RELEASE_DEBUG=true CARGO_PROFILE_RELEASE_STRIP=none) cargo build --release $(if $(USER_DEBUG),$(USER_DEBUG_OVERRIDES)); fi

initrd: userspace ## the ramdisk, every user program as /bin/NAME (build/initrd.cpio)
	@tools/mkinitrd.sh $(BUILD)/initrd.cpio

iso: kernel initrd ## the bootable BIOS+UEFI ISO with CMDLINE (build/mellos.iso)
	@tools/mkiso.sh $(BUILD)/mellos.iso "$(CMDLINE)"

run: build ## boot in QEMU (SMP, CMDLINE), serial here and in build/run.log; fails (Error N) unless init exits 0
	@tools/qemu/qemu.sh -smp $(SMP) -log $(BUILD)/run.log -exit-status

debug: build ## QEMU halted, GDB server on :1234 (SMP; PROG=NAME loads its symbols)
ifneq ($(PROG),)
	@tools/debug/gdb-prog.sh $(PROG) > $(BUILD)/debug-$(PROG).gdb || { rm -f $(BUILD)/debug-$(PROG).gdb; exit 1; }
	tools/qemu/qemu.sh -smp $(SMP) -debug -gdb-script $(BUILD)/debug-$(PROG).gdb
else
	tools/qemu/qemu.sh -smp $(SMP) -debug
endif

test: ## make build, host unit tests, QEMU matrix (TEST_ONLY, TEST_JOBS); ends with a Summary line
	@tools/testing/run_all.sh --build

unit-test: deps ## host unit tests only
	@TEST_ONLY='^unit-' tools/testing/run_all.sh

test-repeat: ## build once, run the QEMU matrix N times (LOAD busy loops beside it); table of passes
	@tools/testing/repeat.sh -n "$(N)" -load "$(LOAD)"

bench: build ## the same binary on MelloOS and Linux, + native rows, in instructions per op (build/bench/report.md)
	@tools/bench/bench.sh

fuzz: build ## the system-call fuzzer, FUZZ_CALLS calls (FUZZ_SEED): calls/s, findings with their seed, leak check
	@tools/fuzz/run.sh

soak: build ## fuzzer, busybox, IPC and threads at once on SOAK_SMP CPUs for SOAK_SECONDS: findings, leak check
	@tools/soak/run.sh

new-program: ## create userspace/programs/NAME, a program built as /bin/NAME
	@tools/new-program.sh "$(NAME)"

doc: ## API docs of the kernel and the crates (warnings fail); open kernel/target/x86_64-unknown-none/doc/kernel/index.html
	cd kernel && RUSTDOCFLAGS='-D warnings' cargo doc --no-deps --document-private-items
	cd crates && RUSTDOCFLAGS='-D warnings' cargo doc --no-deps

clean: ## remove build/ and every cargo target directory
	rm -rf $(BUILD)
	cd kernel && cargo clean
	cd crates && cargo clean
	@if [ -d userspace ]; then cd userspace && cargo clean; fi
