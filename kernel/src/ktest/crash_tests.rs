//! Deliberate kernel faults, run only with `ktest=CRASH`: they prove that a
//! kernel bug produces a readable report (exception name, registers, CR2
//! and decoded error code, symbolised backtrace, the panicking CPU) and a
//! clean stop, not a silent reset. The harness expects the panic.

use super::Test;
use alloc::string::String;

pub const TESTS: &[Test] = &[("crash: kernel write to an unmapped address", write_unmapped)];

#[inline(never)]
fn write_unmapped() -> Result<(), String> {
    crate::mm::selftest::write_unmapped_kernel_address();
    Err(String::from("the write to an unmapped address did not fault"))
}
