//! The Interrupt Descriptor Table, shared by all CPUs.
//!
//! All 256 vectors point at the stubs in `trap.rs`. Every gate is an
//! interrupt gate (interrupts off on entry). Only vector 0x80 (`int 0x80`
//! system calls) is reachable from ring 3 (DPL 3). NMI, double fault and
//! machine check switch to their IST stacks.

use super::gdt::{IST_DOUBLE_FAULT, IST_MACHINE_CHECK, IST_NMI, KERNEL_CS};
use super::trap::stub_address;
use core::arch::asm;
use core::cell::UnsafeCell;

pub const VECTOR_SYSCALL: u8 = 0x80;

#[repr(C, align(16))]
struct Idt([u128; 256]);

struct IdtCell(UnsafeCell<Idt>);
// SAFETY: written once by the BSP in `init` before any AP starts; read-only after.
unsafe impl Sync for IdtCell {}

static IDT: IdtCell = IdtCell(UnsafeCell::new(Idt([0; 256])));

fn gate(handler: u64, ist: u8, dpl: u8) -> u128 {
    let type_attr: u128 = 0x8E | ((dpl as u128 & 3) << 5); // present, interrupt gate
    (handler as u128 & 0xFFFF)
        | (KERNEL_CS as u128) << 16
        | (ist as u128) << 32
        | type_attr << 40
        | ((handler as u128 >> 16) & 0xFFFF) << 48
        | ((handler as u128 >> 32) & 0xFFFF_FFFF) << 64
}

/// Fill the IDT (BSP, once, before any AP starts).
pub fn init() {
    // SAFETY: single-threaded early boot; no CPU has loaded the IDT yet.
    let idt = unsafe { &mut *IDT.0.get() };
    for v in 0..=255u8 {
        let (ist, dpl) = match v {
            2 => (IST_NMI, 0),
            8 => (IST_DOUBLE_FAULT, 0),
            18 => (IST_MACHINE_CHECK, 0),
            VECTOR_SYSCALL => (0, 3),
            _ => (0, 0),
        };
        idt.0[v as usize] = gate(stub_address(v), ist, dpl);
    }
}

/// Load the IDT on this CPU.
pub fn load() {
    #[repr(C, packed)]
    struct Ptr {
        limit: u16,
        base: u64,
    }
    let ptr = Ptr { limit: (256 * 16 - 1) as u16, base: IDT.0.get() as u64 };
    // SAFETY: the IDT is static and fully initialised by `init`.
    unsafe { asm!("lidt [{}]", in(reg) &ptr, options(readonly, nostack)) };
}
