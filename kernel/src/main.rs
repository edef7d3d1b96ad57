//! MelloOS kernel entry point.
//!
//! `kernel_main` is called by the 32-bit Multiboot2 stub (`arch::boot`) on
//! the bootstrap processor, in long mode on the boot stack. It brings the
//! machine up in dependency order, then either runs the in-kernel test
//! suite (`ktest` on the command line) or starts the first user program,
//! and finally becomes this CPU's idle task.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

extern crate alloc;

#[macro_use]
mod log;

mod arch;
mod bootinfo;
mod cmdline;
mod config;
mod console;
mod error;
mod font;
mod framebuffer;
mod fs;
mod kmsg;
mod ktest;
mod metrics;
mod mm;
mod panic;
mod sched;
mod selftest;
mod serial;
mod symbols;
mod sync;
mod sys;
mod tty;
mod user;
mod watchdog;

use arch::{acpi, apic, cpu, idt, percpu, smp};

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
    let opts = cmdline::parse(boot.cmdline());
    mm::init(&boot);
    symbols::init(&boot);
    console::init(boot.framebuffer);

    let platform = acpi::init(boot.acpi_root);
    apic::init_bsp(&platform);
    sched::init();
    smp::start_aps(&platform);
    sys::init();
    user::init();
    tty::init(opts.console);
    serial::enable_input();
    arch::ps2::init();
    apic::start_timer();

    if opts.ktest {
        ktest::spawn_suite(&boot, opts.ktest_only);
    } else {
        let args: alloc::vec::Vec<&str> = opts.init_args.split_ascii_whitespace().collect();
        user::spawn_init(opts.init, &args, &boot);
    }
    sched::enter_idle(0)
}
