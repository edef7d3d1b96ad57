//! The only code that touches user memory: copies with a fault fixup.
//!
//! [`copy_raw`] copies inside an SMAP window (`stac`/`clac`): `rep movsq`
//! for the whole 8-byte words, then `rep movsb` for the rest (a byte copy
//! would cost one instruction per byte). If the copy faults on an address
//! the page-fault handler cannot resolve, [`fixup`] (called from the
//! exception handler) resumes execution at the routine's recovery label:
//! a fault in the word copy finishes byte by byte from where it stopped,
//! so the copy ends exactly at the first bad byte (the count Linux
//! reports for a partial copy, whatever the alignment); a fault in the
//! byte copy reports how many bytes were left. Callers first check that
//! the whole range lies in user space (see `user::uaccess`), so a fault
//! here can only be an unmapped or protected user page: it becomes
//! `-EFAULT`, never a kernel crash or a leak.

use super::trap::TrapFrame;
use core::arch::global_asm;

global_asm!(
    r#"
    .section .text
    .global usercopy_copy
    /* rdi = dst, rsi = src, rdx = len; returns bytes NOT copied in rax. */
usercopy_copy:
    mov rcx, rdx
    shr rcx, 3
    and edx, 7
    .global usercopy_fault_words
usercopy_fault_words:
    rep movsq
    mov rcx, rdx
    .global usercopy_fault_bytes
usercopy_fault_bytes:
    rep movsb
    xor eax, eax
    ret
    .global usercopy_fixup_words
usercopy_fixup_words:
    /* rcx words and rdx bytes were left: redo them byte by byte */
    lea rcx, [rdx + rcx * 8]
    jmp usercopy_fault_bytes
    .global usercopy_fixup_bytes
usercopy_fixup_bytes:
    mov rax, rcx
    ret
"#
);

extern "C" {
    fn usercopy_copy(dst: *mut u8, src: *const u8, len: usize) -> usize;
    fn usercopy_fault_words();
    fn usercopy_fault_bytes();
    fn usercopy_fixup_words();
    fn usercopy_fixup_bytes();
}

/// Copy `len` bytes from `src` to `dst` where one side is user memory.
/// Returns the number of bytes that could not be copied (0 on success).
///
/// # Safety
/// The kernel side of the copy must be valid for `len` bytes; the user side
/// must lie entirely below the end of user space (checked by the caller).
pub unsafe fn copy_raw(dst: *mut u8, src: *const u8, len: usize) -> usize {
    super::cpu::stac();
    // SAFETY: the caller's contract; faults on the user side are fixed up.
    let left = unsafe { usercopy_copy(dst, src, len) };
    super::cpu::clac();
    left
}

/// If `frame` faulted inside the copy routine, resume at its fixup.
pub fn fixup(frame: &mut TrapFrame) -> bool {
    let resume = if frame.rip == usercopy_fault_words as *const () as u64 {
        usercopy_fixup_words as *const () as u64
    } else if frame.rip == usercopy_fault_bytes as *const () as u64 {
        usercopy_fixup_bytes as *const () as u64
    } else {
        return false;
    };
    frame.rip = resume;
    true
}
