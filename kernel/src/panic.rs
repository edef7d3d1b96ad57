//! The panic handler: message, location, backtrace, stop every CPU.
//!
//! The first CPU to panic sends an NMI to all others (they halt inside
//! [`on_nmi`]), prints which CPU panicked, the message and a frame-pointer
//! backtrace (the kernel is built with frame pointers; addresses are
//! symbolised when the ELF symbol table is available), then signals the
//! failure to the test harness through QEMU's `isa-debug-exit` device and
//! halts. A second panic while panicking just halts.

use crate::arch::{irq, percpu};
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static PANICKING: AtomicBool = AtomicBool::new(false);
static PANIC_CPU: AtomicUsize = AtomicUsize::new(usize::MAX);

/// QEMU `isa-debug-exit` port: QEMU exits with status `(value << 1) | 1`.
const DEBUG_EXIT_PORT: u16 = 0xF4;

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    irq::disable();
    let cpu = percpu::cpu_id();
    if PANICKING.swap(true, Ordering::SeqCst) {
        if PANIC_CPU.load(Ordering::SeqCst) == cpu {
            crate::serial::force_unlock_for_panic();
            crate::serial_println!("[PANIC] nested panic on CPU {}: {}", cpu, info.message());
        }
        irq::halt_forever();
    }
    PANIC_CPU.store(cpu, Ordering::SeqCst);
    crate::arch::apic::stop_other_cpus();
    crate::serial::force_unlock_for_panic();
    crate::serial_println!("[PANIC] ======== KERNEL PANIC on CPU {} ========", cpu);
    if let Some(task) = crate::sched::try_current_name() {
        crate::serial_println!("[PANIC] running task: {}", task);
    }
    crate::serial_println!("[PANIC] {}", info.message());
    if let Some(loc) = info.location() {
        crate::serial_println!("[PANIC] at {}:{}:{}", loc.file(), loc.line(), loc.column());
    }
    let rbp: u64;
    // SAFETY: reading RBP has no side effects.
    unsafe { core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack)) };
    backtrace_from(rbp);
    exit_qemu_failure();
}

/// Print a backtrace by walking saved frame pointers from `rbp`.
pub fn backtrace_from(rbp: u64) {
    backtrace_tagged("PANIC", rbp);
}

/// [`backtrace_from`] with the log tag `tag` on every line.
pub fn backtrace_tagged(tag: &str, mut rbp: u64) {
    crate::serial_println!("[{tag}] backtrace:");
    for depth in 0..32 {
        if rbp == 0 || !rbp.is_multiple_of(8) || rbp < crate::mm::layout::HHDM_BASE {
            break;
        }
        // SAFETY: kernel stacks are mapped and frame-pointer chained; the
        // checks above stop at null, misaligned or user addresses. A corrupt
        // chain could still fault, which nests into the double-panic path.
        let (next, ret) = unsafe { (*(rbp as *const u64), *((rbp + 8) as *const u64)) };
        if ret == 0 {
            break;
        }
        // `ret - 1` is inside the call instruction, so a call that ends its
        // function (a call to a `-> !` function) still names the caller.
        match crate::symbols::lookup(ret - 1) {
            Some((name, off)) => crate::serial_println!("[{tag}]   #{depth:<2} {ret:#018x}  {name}+{:#x}", off + 1),
            None => crate::serial_println!("[{tag}]   #{depth:<2} {ret:#018x}  ??"),
        }
        if next <= rbp {
            break;
        }
        rbp = next;
    }
}

/// NMI: another CPU panicked (or a real NMI arrived while panicking):
/// halt; or the lockup watchdog asked for a report (`watchdog`).
pub fn on_nmi(frame: &mut crate::arch::trap::TrapFrame) {
    if PANICKING.load(Ordering::SeqCst) {
        irq::halt_forever();
    }
    if crate::watchdog::on_nmi(frame) {
        return;
    }
    crate::klog!("NMI", "unexpected NMI on CPU {}", percpu::cpu_id());
}

/// Whether some CPU has panicked.
pub fn panicking() -> bool {
    PANICKING.load(Ordering::Relaxed)
}

/// Tell QEMU (when run with `isa-debug-exit`) that the kernel failed.
pub fn exit_qemu_failure() -> ! {
    // SAFETY: writing the debug-exit port ends the emulator; on real hardware
    // the port is unused.
    unsafe { x86_64::instructions::port::Port::<u32>::new(DEBUG_EXIT_PORT).write(1) };
    irq::halt_forever();
}
