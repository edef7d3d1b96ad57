//! Multiboot2 header and the 32-bit entry that gets us to 64-bit Rust.
//!
//! GRUB loads the kernel ELF and jumps to `_start32` in 32-bit protected mode
//! with paging off, `eax` = Multiboot2 magic and `ebx` = physical address of
//! the boot information. This stub:
//!
//! 1. checks for long mode (prints an error on COM1 and halts otherwise);
//! 2. builds throw-away page tables mapping the first 4 GiB three times:
//!    identity, at the direct map (`0xFFFF_8000_0000_0000`) and the first
//!    GiB at the kernel base (`0xFFFF_FFFF_8000_0000`), all with 2 MiB pages;
//! 3. enables PAE, long mode, NX, write protection and paging;
//! 4. far-jumps into 64-bit code, switches to the higher-half boot stack and
//!    calls `kernel_main(magic, mbi_phys)`.
//!
//! The Rust memory manager replaces these tables with precise ones almost at
//! once (see `mm::kernel_space`); nothing here is used after that.

/// Size of the stack the bootstrap processor starts on (also used until the
/// scheduler gives it an idle task).
pub const BOOT_STACK_SIZE: usize = 64 * 1024;

#[repr(C, align(4096))]
struct BootStack([u8; BOOT_STACK_SIZE]);

#[used]
#[no_mangle]
static mut BOOT_STACK: BootStack = BootStack([0; BOOT_STACK_SIZE]);

// The far jump into long mode must be written in AT&T syntax: in Intel
// syntax the assembler emits a 16-bit relocation that does not link.
#[allow(bad_asm_style)]
mod entry {
use core::arch::global_asm;
global_asm!(
    r#"
    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long 0xE85250D6                 /* magic */
    .long 0                          /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long -(0xE85250D6 + (mb2_header_end - mb2_header))
    /* framebuffer tag (optional): 1024x768x32 preferred. GRUB ignores the
       depth unless a size is given too, and its own choice ("auto") is a
       24-bpp mode under SeaBIOS and unusable under OVMF. */
    .balign 8
    .short 5
    .short 1
    .long 20
    .long 1024
    .long 768
    .long 32
    /* module alignment tag: page-align modules */
    .balign 8
    .short 6
    .short 0
    .long 8
    /* end tag */
    .balign 8
    .short 0
    .short 0
    .long 8
mb2_header_end:

    .section .boot.bss, "aw", @nobits
    .balign 4096
boot_pml4:    .skip 4096
boot_pdpt_lo: .skip 4096
boot_pdpt_hi: .skip 4096
boot_pd:      .skip 4096 * 4

    .section .boot.data, "aw"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00209A0000000000          /* 0x08: 64-bit kernel code */
    .quad 0x0000920000000000          /* 0x10: kernel data */
boot_gdt_end:
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt
no_lm_msg:
    .asciz "MelloOS: this CPU has no long mode (x86-64); halting.\r\n"

    .section .boot.text, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    mov edi, eax                      /* magic (kept for kernel_main) */
    mov esi, ebx                      /* boot information (physical) */

    /* Long mode available? CPUID 0x80000001 EDX bit 29. */
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb 3f
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29
    jz 3f

    /* Zero the boot page tables (7 pages). */
    push edi
    mov edi, offset boot_pml4
    mov ecx, 7 * 1024
    xor eax, eax
    rep stosd
    pop edi

    /* PD: 4 x 512 entries of 2 MiB covering 0..4 GiB. */
    mov ecx, 0
1:
    mov eax, ecx
    shl eax, 21
    or eax, 0x83                      /* present | writable | huge */
    mov [boot_pd + ecx * 8], eax
    mov eax, ecx
    shr eax, 11
    mov [boot_pd + ecx * 8 + 4], eax
    inc ecx
    cmp ecx, 2048
    jne 1b

    /* PDPT (low): 4 entries -> the 4 PDs. */
    mov eax, offset boot_pd
    or eax, 3
    mov [boot_pdpt_lo], eax
    add eax, 4096
    mov [boot_pdpt_lo + 8], eax
    add eax, 4096
    mov [boot_pdpt_lo + 16], eax
    add eax, 4096
    mov [boot_pdpt_lo + 24], eax
    /* PDPT (high): entry 510 (-2 GiB) -> first PD (first GiB). */
    mov eax, offset boot_pd
    or eax, 3
    mov [boot_pdpt_hi + 510 * 8], eax
    /* PML4: 0 (identity), 256 (direct map), 511 (kernel). */
    mov eax, offset boot_pdpt_lo
    or eax, 3
    mov [boot_pml4], eax
    mov [boot_pml4 + 256 * 8], eax
    mov eax, offset boot_pdpt_hi
    or eax, 3
    mov [boot_pml4 + 511 * 8], eax

    /* CR4.PAE, CR3, EFER.LME|NXE, CR0.PG|WP. */
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, offset boot_pml4
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, (1 << 8) | (1 << 11)
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16)
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    .att_syntax prefix
    ljmp $8, $start64_low
    .intel_syntax noprefix

3:  /* No long mode: say so on COM1 and halt. */
    mov esi, offset no_lm_msg
4:  lodsb
    test al, al
    jz 6f
    mov dx, 0x3FD
5:  mov ah, al
    in al, dx
    test al, 0x20
    mov al, ah
    jz 5b
    mov dx, 0x3F8
    out dx, al
    jmp 4b
6:  hlt
    jmp 6b

    .code64
start64_low:
    xor eax, eax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    movabs rax, offset start64_high
    jmp rax

    .section .text
start64_high:
    /* 16 zero bytes stay above the first frame: a debugger unwinding past
       start64_high reads zeros there (the end of the chain), not whatever
       static the linker put after the stack. */
    movabs rsp, offset {stack} + {stack_size} - 16
    xor ebp, ebp
    /* rdi = magic, rsi = boot information physical address */
    mov edi, edi
    mov esi, esi
    movabs rax, offset {main}
    call rax
7:  hlt
    jmp 7b
"#,
    stack = sym super::BOOT_STACK,
    stack_size = const super::BOOT_STACK_SIZE,
    main = sym crate::kernel_main,
);
}
