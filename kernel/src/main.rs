//! MelloOS kernel entry point.
//!
//! `kernel_main` is called by the 32-bit Multiboot2 stub (`arch::boot`) on
//! the bootstrap processor, in long mode on the boot stack. It brings the
//! machine up in dependency order, then either runs the in-kernel test
//! suite (`ktest` on the command line) or starts the first user program.
#![no_std]
#![no_main]

extern crate alloc;

#[macro_use]
mod log;

mod arch;
mod bootinfo;
mod config;
mod console;
mod mm;
mod panic;
mod sched;
mod serial;
mod symbols;
mod sync;
mod sys;
mod user;

use arch::{cpu, idt, percpu};

/// Rust entry point on the bootstrap processor.
#[no_mangle]
pub extern "C" fn kernel_main(magic: u32, mbi_phys: usize) -> ! {
    percpu::init_this_cpu(0, 0);
    serial::init();
    klog!("KERNEL", "MelloOS starting...");
    cpu::probe_features();
    idt::init();
    arch::init_cpu_tables(0);
    let boot = bootinfo::parse(magic, mbi_phys);
    klog!("KERNEL", "Command line: '{}'", boot.cmdline());
    mm::init(&boot);

    let v = alloc::vec![1u8, 2, 3];
    klog!("KERNEL", "heap ok: {:?}", v);
    // SAFETY: test of the breakpoint exception path.
    unsafe { core::arch::asm!("int3") };
    arch::irq::halt_forever();
}
