//! Per-CPU Global Descriptor Table and Task State Segment.
//!
//! Layout (the order `sysret` requires: user data right below user code):
//!
//! | selector | descriptor            |
//! |----------|-----------------------|
//! | 0x00     | null                  |
//! | 0x08     | kernel code (64-bit)  |
//! | 0x10     | kernel data           |
//! | 0x18     | user data (DPL 3)     |
//! | 0x20     | user code (64-bit, DPL 3) |
//! | 0x28     | TSS (16 bytes)        |
//!
//! Each CPU's TSS holds RSP0 (the kernel stack for interrupts from ring 3,
//! rewritten on every switch to a user task) and three IST stacks: double
//! fault, NMI and machine check run on stacks of their own so they work even
//! when the kernel stack overflowed. A CPU only ever touches its own entry.

use crate::config::MAX_CPUS;
use core::arch::asm;
use core::cell::UnsafeCell;
use core::mem::size_of;

pub const KERNEL_CS: u16 = 0x08;
pub const KERNEL_DS: u16 = 0x10;
pub const USER_DS: u16 = 0x18 | 3;
pub const USER_CS: u16 = 0x20 | 3;
const TSS_SEL: u16 = 0x28;

/// IST slots (1-based as in the IDT).
pub const IST_DOUBLE_FAULT: u8 = 1;
pub const IST_NMI: u8 = 2;
pub const IST_MACHINE_CHECK: u8 = 3;
const IST_STACK_SIZE: usize = 16 * 1024;

#[repr(C, packed(4))]
struct Tss {
    _reserved0: u32,
    rsp: [u64; 3],
    _reserved1: u64,
    ist: [u64; 7],
    _reserved2: u64,
    _reserved3: u16,
    iomap_base: u16,
}

#[repr(C, align(16))]
struct CpuTables {
    gdt: [u64; 7],
    tss: Tss,
}

/// IST stacks, in their own zero-initialised static so they land in .bss.
#[repr(C, align(16))]
struct IstStacks([[[u8; IST_STACK_SIZE]; 3]; MAX_CPUS]);

struct IstCell(UnsafeCell<IstStacks>);
// SAFETY: only addresses are taken here; each CPU's stacks are used only by
// that CPU's exception entries.
unsafe impl Sync for IstCell {}

static IST_STACKS: IstCell = IstCell(UnsafeCell::new(IstStacks([[[0; IST_STACK_SIZE]; 3]; MAX_CPUS])));

struct PerCpuTables([UnsafeCell<CpuTables>; MAX_CPUS]);

// SAFETY: entry `i` is only accessed by CPU `i` (module invariant).
unsafe impl Sync for PerCpuTables {}

static TABLES: PerCpuTables = PerCpuTables(
    [const {
        UnsafeCell::new(CpuTables {
            gdt: [0; 7],
            tss: Tss {
                _reserved0: 0,
                rsp: [0; 3],
                _reserved1: 0,
                ist: [0; 7],
                _reserved2: 0,
                _reserved3: 0,
                iomap_base: size_of::<Tss>() as u16,
            },
        })
    }; MAX_CPUS],
);

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// Build and load CPU `cpu`'s GDT and TSS, reload the segment registers.
pub fn init(cpu: usize) {
    // SAFETY: CPU `cpu` is the only one touching entry `cpu`, and it does so
    // before loading it (module invariant).
    let t = unsafe { &mut *TABLES.0[cpu].get() };
    let stacks = IST_STACKS.0.get() as u64 + (cpu * 3 * IST_STACK_SIZE) as u64;
    for i in 0..3 {
        t.tss.ist[i] = stacks + ((i + 1) * IST_STACK_SIZE) as u64;
    }
    let tss_addr = &t.tss as *const Tss as u64;
    let tss_limit = size_of::<Tss>() as u64 - 1;
    t.gdt = [
        0,
        0x00AF_9A00_0000_FFFF, // kernel code: present, DPL0, exec/read, long mode
        0x00CF_9200_0000_FFFF, // kernel data: present, DPL0, read/write
        0x00CF_F200_0000_FFFF, // user data: present, DPL3, read/write
        0x00AF_FA00_0000_FFFF, // user code: present, DPL3, exec/read, long mode
        tss_limit
            | (tss_addr & 0xFF_FFFF) << 16
            | 0x89 << 40 // present, available 64-bit TSS
            | ((tss_addr >> 24) & 0xFF) << 56,
        tss_addr >> 32,
    ];
    let ptr = DescriptorPointer { limit: (size_of::<[u64; 7]>() - 1) as u16, base: t.gdt.as_ptr() as u64 };
    // SAFETY: the GDT is static and valid; the far return reloads CS with the
    // kernel code selector it defines; the TSS descriptor is valid and unused.
    unsafe {
        asm!(
            "lgdt [{ptr}]",
            "push {cs}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ds, {ds:x}",
            "mov es, {ds:x}",
            "mov ss, {ds:x}",
            "ltr {tss:x}",
            ptr = in(reg) &ptr,
            cs = const KERNEL_CS as u64,
            tmp = out(reg) _,
            ds = in(reg) KERNEL_DS as u64,
            tss = in(reg) TSS_SEL as u64,
        );
    }
    // FS/GS selectors stay 0: their bases come from MSRs.
}

/// Set this CPU's RSP0 (kernel stack for entries from ring 3).
pub fn set_rsp0(cpu: usize, top: u64) {
    // SAFETY: only CPU `cpu` calls this for its own entry, with preemption
    // disabled (it is called from the scheduler's switch path).
    let t = unsafe { &mut *TABLES.0[cpu].get() };
    t.tss.rsp[0] = top;
}
