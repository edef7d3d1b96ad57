//! The AP start-up trampoline: real mode → protected mode → long mode.
//!
//! A Start-up IPI makes an AP execute real-mode code at `TRAMPOLINE_PHYS`
//! (CS = 0x0800, IP = 0). The blob below is assembled into `.rodata` and
//! copied there by [`install`]. It runs at an address it was not linked
//! for, so it only uses
//!
//! * offsets from the blob start (`label - ap_trampoline_start`) with
//!   DS = CS in 16-bit code;
//! * absolute addresses `TRAMPOLINE_PHYS + (label - ap_trampoline_start)`
//!   in 32-bit code and far jumps;
//! * RIP-relative addressing in 64-bit code.
//!
//! All of these are assembly-time constants, so the blob needs no
//! relocation. Steps: load a tiny GDT, set CR0.PE, far jump to 32-bit code;
//! enable PAE/PGE, load CR3 from the data block, set EFER.LME|NXE, set
//! CR0.PG|WP, far jump to 64-bit code; check that this CPU is the one the
//! data block is for (CPUID initial APIC id, as `apic::cpuid_apic_id`) — a late AP that
//! missed its turn parks itself instead of using someone else's stack —
//! then load the stack and call `entry(cpu_id, apic_id)`.
//!
//! The page tables in CR3 must identity-map the trampoline page and map
//! the kernel half (see `smp::boot_tables`). The data block ([`ApBootData`])
//! sits at the blob's end; the BSP fills it before each SIPI.

use crate::mm::kernel_space::map_mmio;

/// Physical address the blob runs at (SIPI vector 0x08).
pub const TRAMPOLINE_PHYS: u64 = 0x8000;

/// Parameters for one AP, at `ap_trampoline_data` in the blob.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct ApBootData {
    /// Page-table root (must be below 4 GiB: loaded in 32-bit mode).
    pub cr3: u64,
    /// Initial stack pointer (16-byte aligned).
    pub stack_top: u64,
    /// `extern "C" fn(cpu_id: usize, apic_id: u64) -> !`.
    pub entry: u64,
    pub cpu_id: u64,
    pub apic_id: u64,
}

// Written in AT&T syntax: LLVM's Intel-syntax parser rejects label
// differences in memory operands, and mis-assembles `.code32` far jumps
// (`push imm; push label; retf` gets a 16-bit relocation that fails to link).
core::arch::global_asm!(
    r#"
    .pushsection .rodata.ap_trampoline, "a"
    .balign 16
    .global ap_trampoline_start
ap_trampoline_start:
    .code16
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    lgdtl tr_gdtr - ap_trampoline_start
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, ${base} + tr_pm32 - ap_trampoline_start

    .code32
tr_pm32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl %cr4, %eax
    orl $0xA0, %eax                 /* PAE | PGE */
    movl %eax, %cr4
    movl {base} + tr_data - ap_trampoline_start, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx          /* EFER */
    rdmsr
    orl $0x900, %eax                /* LME | NXE */
    wrmsr
    movl %cr0, %eax
    orl $0x80010000, %eax           /* PG | WP */
    movl %eax, %cr0
    ljmpl $0x18, ${base} + tr_pm64 - ap_trampoline_start

    .code64
tr_pm64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorl %eax, %eax
    movw %ax, %fs
    movw %ax, %gs
    fninit
    /* Our initial APIC id: CPUID leaf 0xB EDX (full x2APIC id) when that
       leaf exists and is valid, else leaf 1 EBX[31:24]. */
    xorl %eax, %eax
    cpuid
    cmpl $0xB, %eax
    jb 1f
    movl $0xB, %eax
    xorl %ecx, %ecx
    cpuid
    testl %ebx, %ebx
    jz 1f
    movl %edx, %ebx
    jmp 2f
1:  movl $1, %eax
    cpuid
    shrl $24, %ebx
2:  cmpl tr_data + 32(%rip), %ebx   /* the AP this data block is for? */
    jne tr_park
    movq tr_data + 8(%rip), %rsp    /* stack_top */
    movq tr_data + 24(%rip), %rdi   /* cpu_id */
    movq tr_data + 32(%rip), %rsi   /* apic_id */
    movq tr_data + 16(%rip), %rax   /* entry */
    xorl %ebp, %ebp
    call *%rax
tr_park:
    cli
    hlt
    jmp tr_park

    .balign 8
tr_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF        /* 0x08: 32-bit code */
    .quad 0x00CF92000000FFFF        /* 0x10: data */
    .quad 0x00AF9A000000FFFF        /* 0x18: 64-bit code */
tr_gdtr:
    .short tr_gdtr - tr_gdt - 1
    .long {base} + tr_gdt - ap_trampoline_start

    .balign 16
    .global ap_trampoline_data
ap_trampoline_data:
tr_data:
    .skip {data_size}
    .global ap_trampoline_end
ap_trampoline_end:
    .code64
    .popsection
"#,
    base = const TRAMPOLINE_PHYS,
    data_size = const core::mem::size_of::<ApBootData>(),
    options(att_syntax),
);

extern "C" {
    static ap_trampoline_start: u8;
    static ap_trampoline_data: u8;
    static ap_trampoline_end: u8;
}

fn blob() -> (&'static [u8], usize) {
    let start = core::ptr::addr_of!(ap_trampoline_start);
    let data = core::ptr::addr_of!(ap_trampoline_data) as usize - start as usize;
    let len = core::ptr::addr_of!(ap_trampoline_end) as usize - start as usize;
    // SAFETY: the three symbols delimit the assembled blob in `.rodata`,
    // which is mapped and never written.
    (unsafe { core::slice::from_raw_parts(start, len) }, data)
}

/// Copy the blob to `TRAMPOLINE_PHYS`; returns its size in bytes.
pub fn install() -> usize {
    let (code, _) = blob();
    assert!(code.len() <= 4096, "AP trampoline larger than a page");
    let va = map_mmio(TRAMPOLINE_PHYS, 4096);
    // SAFETY: the first MiB is never handed out by the PMM, so the page at
    // TRAMPOLINE_PHYS belongs to SMP bring-up alone; it is mapped above.
    unsafe { core::ptr::copy_nonoverlapping(code.as_ptr(), va as *mut u8, code.len()) };
    code.len()
}

/// Fill in the data block for the next AP.
pub fn set_data(d: ApBootData) {
    let (_, off) = blob();
    let va = map_mmio(TRAMPOLINE_PHYS, 4096) + off as u64;
    // SAFETY: `va` is the data block inside the installed trampoline page
    // (8-byte aligned: `.balign 16`); no AP reads it until the next SIPI.
    unsafe { core::ptr::write_volatile(va as *mut ApBootData, d) };
}

/// Replace the trampoline with `cli; hlt; jmp $-1` so that an AP waking up
/// late (after bring-up ended) parks in real mode instead of running stale
/// code on freed page tables.
pub fn retire() {
    let va = map_mmio(TRAMPOLINE_PHYS, 4096);
    let park: [u8; 4] = [0xFA, 0xF4, 0xEB, 0xFD];
    // SAFETY: as in `install`; bring-up is over, no AP is inside the blob.
    unsafe { core::ptr::copy_nonoverlapping(park.as_ptr(), va as *mut u8, park.len()) };
}
