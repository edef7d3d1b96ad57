# MelloOS build system.
#
#   make build      kernel, user programs, ramdisk and ISO (build/)
#   make run        boot the ISO in QEMU (SMP=4 by default; SMP=N to change;
#                   CMDLINE="init=/bin/utest" to change the kernel command line)
#   make test       host unit tests + QEMU integration tests
#   make bench      benchmarks against Linux (build/bench/report.md)
#   make debug      QEMU waiting for GDB (see tools/debug/)
#   make clean

SHELL := /bin/bash
BUILD := build
PROFILE ?= release
SMP ?= 4
CMDLINE ?=

# cargo puts the `dev` profile in target/.../debug.
PROFILE_DIR := $(if $(filter dev,$(PROFILE)),debug,$(PROFILE))
KERNEL_ELF := kernel/target/x86_64-unknown-none/$(PROFILE_DIR)/kernel
USER_BIN := userspace/target/x86_64-unknown-none/release

.PHONY: all build kernel userspace initrd iso run test unit-test bench debug clean deps

all: build

deps:
	@tools/deps.sh

build: deps kernel userspace initrd iso

kernel:
	cd kernel && cargo build --profile $(PROFILE)
	@mkdir -p $(BUILD)
	cp $(KERNEL_ELF) $(BUILD)/kernel.elf

userspace:
	@if [ -d userspace ]; then cd userspace && cargo build --release; fi

initrd: userspace
	@tools/mkinitrd.sh $(BUILD)/initrd.cpio

iso: kernel initrd
	@tools/mkiso.sh $(BUILD)/mellos.iso "$(CMDLINE)"

run: build
	tools/qemu/qemu.sh -smp $(SMP)

bench: build
	tools/bench/run_mellos.sh
	tools/bench/linux/run.sh
	tools/bench/report.py build/bench/mellos.txt build/bench/linux.txt --out build/bench

debug: build
	tools/qemu/qemu.sh -smp 2 -debug

test: build
	@tools/testing/run_all.sh

unit-test: deps
	@TEST_ONLY='^unit-' tools/testing/run_all.sh

clean:
	rm -rf $(BUILD)
	cd kernel && cargo clean
	cd crates && cargo clean
	@if [ -d userspace ]; then cd userspace && cargo clean; fi
