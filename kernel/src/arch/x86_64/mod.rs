//! x86-64 support: boot, descriptor tables, traps, system-call entry,
//! per-CPU data, and (in submodules) ACPI, the APICs and SMP bring-up.

pub mod acpi;
pub mod apic;
pub mod boot;
pub mod cpu;
pub mod exceptions;
pub mod gdt;
pub mod idt;
pub mod irq;
pub mod percpu;
pub mod smp;
pub mod syscall;
pub mod time;
pub mod trap;
pub mod usercopy;

pub use irq::enabled as interrupts_enabled;

/// Per-CPU descriptor-table and MSR setup shared by the BSP and every AP:
/// GDT/TSS, IDT, protection bits, `syscall` MSRs.
pub fn init_cpu_tables(cpu: usize) {
    gdt::init(cpu);
    idt::load();
    cpu::enable_protection();
    syscall::init_this_cpu();
}
