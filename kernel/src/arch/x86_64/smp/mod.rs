//! SMP bring-up: starting the application processors (APs).
//!
//! [`start_aps`] runs once on the BSP, after the BSP's APIC and the
//! scheduler are initialised. It copies the trampoline (`trampoline.rs`)
//! to physical 0x8000, builds temporary page tables below 4 GiB (identity
//! map of the first 2 MiB for the mode switch, plus the shared kernel half)
//! and starts the APs **one at a time**, in MADT order (BSP excluded):
//!
//! 1. allocate the AP's kernel stack and fill the trampoline's data block;
//! 2. INIT IPI, wait 10 ms, Start-up IPI, wait 200 µs, second Start-up IPI,
//!    wait 200 µs (the architected sequence; delays on the PIT-calibrated
//!    clock, `time::delay_us`);
//! 3. wait up to 10 s for the AP to reach Rust (`ENTERED`), then for it
//!    to come online. An AP that does not respond is reported, sent INIT
//!    again (back to wait-for-SIPI) and skipped; its CPU id is reused.
//!
//! The AP side, [`ap_entry`]: per-CPU data first (before any lock or log),
//! then GDT/TSS, IDT and syscall MSRs, the kernel page tables, the Local
//! APIC and its timer; then it marks itself online and becomes its
//! scheduler's idle loop. CPU ids are dense (0 = BSP) and assigned here.
//!
//! Afterwards the trampoline is overwritten with a halt loop and the
//! temporary tables are freed. Each AP's boot stack stays allocated for
//! good: it becomes the stack of that CPU's idle task.
//!
//! State: `ENTERED` flags and the `ONLINE` count are atomics; everything
//! else is owned by the BSP during bring-up.

mod trampoline;

use super::acpi::Platform;
use super::{apic, cpu, irq, percpu, time};
use crate::config::MAX_CPUS;
use crate::mm::kernel_space;
use crate::mm::kstack::KernelStack;
use crate::mm::paging::{self, Pte, PteFlags};
use crate::mm::pmm;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use trampoline::{ApBootData, TRAMPOLINE_PHYS};

/// How long an AP may take from the first SIPI to running Rust code: 10 s,
/// as Linux waits. It normally takes well under 1 ms, but under TCG on a
/// loaded host an AP's vCPU thread can wait longer than the old 100 ms for
/// the host to run it (seen in `make test`: ktest-smp2 came up with 1 CPU).
const START_TIMEOUT_US: u64 = 10_000_000;
/// How long it may then take to finish its setup and come online.
const ONLINE_TIMEOUT_US: u64 = 5_000_000;

/// CPUs online (the BSP from the start).
static ONLINE: AtomicUsize = AtomicUsize::new(1);
/// `ENTERED[id]`: AP `id` reached `ap_entry`.
static ENTERED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// The CPU id whose INIT-SIPI-SIPI sequence is complete: that AP waits for
/// it before logging, so the boot log reads in order.
static SIPI_DONE: AtomicUsize = AtomicUsize::new(0);

/// Number of CPUs online (running their scheduler or about to).
pub fn online_cpus() -> usize {
    ONLINE.load(Ordering::Acquire)
}

/// Start every AP the platform lists (BSP, once).
pub fn start_aps(platform: &Platform) {
    let t0 = time::now_us();
    if platform.cpu_count > 1 {
        // Firmware may leave APs spinning (OVMF's AP loop); INIT stops
        // them all, including any beyond MAX_CPUS, which stay parked.
        irq::without(apic::send_init_all_others);
        let size = trampoline::install();
        crate::klog!("SMP", "Trampoline copied to {:#X} ({} bytes)", TRAMPOLINE_PHYS, size);
        let tables = BootTables::new();
        match &tables {
            Some(tables) => {
                let mut next = 1;
                for &apic_id in &platform.apic_ids[1..platform.cpu_count] {
                    if start_one(next, apic_id, tables.root()) {
                        next += 1;
                    }
                }
            }
            None => crate::klog!("SMP", "out of memory below 4 GiB for AP page tables; APs not started"),
        }
        trampoline::retire();
        drop(tables);
    }
    let n = online_cpus();
    crate::klog!("SMP", "SMP initialization complete: {} CPUs online", n);
    if n > 1 {
        let ms = (time::now_us() - t0) / 1000;
        crate::klog!("SMP", "AP bring-up took {} ms ({} ms per AP)", ms, ms / (n as u64 - 1));
    }
}

/// Start the AP with APIC id `apic_id` as CPU `cpu_id`. Returns whether
/// `cpu_id` is now taken (the AP reached Rust).
fn start_one(cpu_id: usize, apic_id: u32, cr3: u64) -> bool {
    if apic_id > 0xFE && !apic::is_x2apic() {
        crate::klog!("SMP", "CPU with apic_id={} needs x2APIC mode; skipped", apic_id);
        return false;
    }
    let Ok(stack) = KernelStack::new() else {
        crate::klog!("SMP", "out of memory for AP#{}'s stack; skipped", cpu_id);
        return false;
    };
    trampoline::set_data(ApBootData {
        cr3,
        stack_top: stack.top(),
        entry: ap_entry as *const () as u64,
        cpu_id: cpu_id as u64,
        apic_id: apic_id as u64,
    });
    // From here on the AP may be running on this stack: never free it.
    core::mem::forget(stack);

    let sipi_page = (TRAMPOLINE_PHYS >> 12) as u8;
    crate::klog!("SMP", "Sending INIT IPI to AP#{}", cpu_id);
    irq::without(|| apic::send_init(apic_id));
    time::delay_us(10_000);
    for n in 1..=2 {
        crate::klog!("SMP", "Sending SIPI #{} to AP#{}", n, cpu_id);
        irq::without(|| apic::send_startup(apic_id, sipi_page));
        time::delay_us(200);
    }
    SIPI_DONE.store(cpu_id, Ordering::Release);

    if !wait_for(|| ENTERED[cpu_id].load(Ordering::Acquire), START_TIMEOUT_US) {
        crate::klog!("SMP", "AP#{} (apic_id={}) did not start within {} ms; skipped",
            cpu_id, apic_id, START_TIMEOUT_US / 1000);
        irq::without(|| apic::send_init(apic_id));
        return false;
    }
    if !wait_for(|| percpu::cpu(cpu_id).online.load(Ordering::Acquire), ONLINE_TIMEOUT_US) {
        crate::klog!("SMP", "AP#{} entered Rust but did not come online within {} ms",
            cpu_id, ONLINE_TIMEOUT_US / 1000);
    }
    true
}

/// Spin until `done()` or until `timeout_us` passed; returns `done()`.
fn wait_for(done: impl Fn() -> bool, timeout_us: u64) -> bool {
    let deadline = time::now_us() + timeout_us;
    while !done() {
        if time::now_us() > deadline {
            return done();
        }
        core::hint::spin_loop();
    }
    true
}

/// Rust entry of every AP, called by the trampoline on the AP's stack with
/// the temporary page tables and interrupts off.
extern "C" fn ap_entry(cpu_id: usize, apic_id: u64) -> ! {
    percpu::init_this_cpu(cpu_id, apic_id as u32);
    super::init_cpu_tables(cpu_id);
    // SAFETY: the kernel PML4 maps the kernel half exactly like the
    // temporary tables (which share its upper-half entries); we run there.
    unsafe { cpu::write_cr3(kernel_space::kernel_pml4()) };
    ENTERED[cpu_id].store(true, Ordering::Release);
    while SIPI_DONE.load(Ordering::Acquire) != cpu_id {
        core::hint::spin_loop();
    }
    crate::klog!("SMP", "AP#{} entered Rust (cpu_id={}, apic_id={})", cpu_id, cpu_id, apic_id);
    crate::klog!("GDT", "Initializing GDT and TSS for CPU {}", cpu_id);
    crate::klog!("SYSCALL", "Initializing syscall MSRs for CPU {}", cpu_id);
    apic::init_ap();
    apic::start_timer();
    crate::klog!("SMP", "AP#{} online", cpu_id);
    ONLINE.fetch_add(1, Ordering::AcqRel);
    percpu::cpu(cpu_id).online.store(true, Ordering::Release);
    crate::sched::enter_idle(cpu_id)
}

/// Temporary page tables for the trampoline, all below 4 GiB: identity map
/// of physical 0..2 MiB plus the kernel half of the kernel PML4.
struct BootTables {
    /// PML4, PDPT, PD.
    frames: [u64; 3],
}

impl BootTables {
    fn new() -> Option<BootTables> {
        let mut frames = [0u64; 3];
        let mut rejected = [0u64; 16];
        let (mut got, mut nrej) = (0, 0);
        while got < 3 {
            let pa = pmm::alloc_frame_zeroed().ok();
            match pa {
                Some(pa) if pa + 4096 <= 1 << 32 => {
                    frames[got] = pa;
                    got += 1;
                }
                Some(pa) if nrej < rejected.len() => {
                    rejected[nrej] = pa;
                    nrej += 1;
                }
                _ => break,
            }
        }
        rejected[..nrej].iter().for_each(|&pa| pmm::free_frame(pa));
        if got < 3 {
            frames[..got].iter().for_each(|&pa| pmm::free_frame(pa));
            return None;
        }
        let [pml4, pdpt, pd] = frames;
        let table_flags = PteFlags::PRESENT | PteFlags::WRITABLE;
        // SAFETY: the three frames were just allocated (zeroed) and are not
        // part of any live hierarchy; only this function edits them.
        unsafe {
            paging::table_at(pml4)[0] = Pte::new(pdpt, table_flags);
            paging::table_at(pdpt)[0] = Pte::new(pd, table_flags);
            paging::table_at(pd)[0] = Pte::new(0, table_flags | PteFlags::HUGE);
        }
        kernel_space::copy_kernel_half(pml4);
        Some(BootTables { frames })
    }

    fn root(&self) -> u64 {
        self.frames[0]
    }
}

impl Drop for BootTables {
    fn drop(&mut self) {
        // No AP uses these tables any more: each switched to the kernel
        // PML4 before setting ENTERED, and the trampoline is retired (or
        // the AP was sent INIT) before the tables are dropped.
        self.frames.iter().for_each(|&pa| pmm::free_frame(pa));
    }
}
