//! Deliberate kernel faults, run only with `ktest=CRASH`: they prove that a
//! kernel bug produces a readable report (exception name, registers, CR2
//! and decoded error code, symbolised backtrace, the panicking CPU) and a
//! clean stop, not a silent reset. The harness expects the panic.

use super::Test;
use alloc::string::String;

pub const TESTS: &[Test] = &[("crash: kernel write to an unmapped address", write_unmapped)];

#[inline(never)]
fn write_unmapped() -> Result<(), String> {
    // An address in the kernel half that nothing maps (below the stacks).
    let bad = crate::mm::layout::KSTACK_BASE - 0x20_0000;
    crate::klog!("KTEST", "writing to {:#x}: the kernel must report a page fault and stop", bad);
    // SAFETY: deliberately unsound: this write must fault.
    unsafe { core::ptr::write_volatile(bad as *mut u64, 0xDEAD) };
    Err(String::from("the write to an unmapped address did not fault"))
}
