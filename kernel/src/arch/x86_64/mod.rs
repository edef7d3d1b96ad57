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
pub mod ps2;
pub mod rtc;
pub mod smp;
pub mod syscall;
pub mod time;
pub mod trap;
pub mod usercopy;

pub use irq::enabled as interrupts_enabled;

/// Per-CPU descriptor-table and MSR setup shared by the BSP and every AP:
/// GDT/TSS, IDT, protection bits, `syscall` MSRs, and IA32_TSC_AUX = CPU
/// id (so user programs can see where they run with `rdtscp`).
pub fn init_cpu_tables(cpu_id: usize) {
    gdt::init(cpu_id);
    idt::load();
    cpu::enable_protection();
    syscall::init_this_cpu();
    // SAFETY: TSC_AUX is only read by rdtscp/rdpid; any value is safe.
    unsafe { cpu::write_msr(cpu::MSR_TSC_AUX, cpu_id as u64) };
}
