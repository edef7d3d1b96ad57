//! The only code that touches user memory: byte copies with a fault fixup.
//!
//! [`copy_raw`] copies with `rep movsb` inside an SMAP window (`stac`/`clac`).
//! If the copy faults on an address the page-fault handler cannot resolve,
//! [`fixup`] (called from the exception handler) resumes execution at the
//! routine's recovery label, which reports how many bytes were left. Callers
//! first check that the whole range lies in user space (see
//! `user::uaccess`), so a fault here can only be an unmapped or protected
//! user page: it becomes `-EFAULT`, never a kernel crash or a leak.

use super::trap::TrapFrame;
use core::arch::global_asm;

global_asm!(
    r#"
    .section .text
    .global usercopy_movsb
    /* rdi = dst, rsi = src, rdx = len; returns bytes NOT copied in rax. */
usercopy_movsb:
    mov rcx, rdx
    .global usercopy_fault_insn
usercopy_fault_insn:
    rep movsb
    xor eax, eax
    ret
    .global usercopy_fixup
usercopy_fixup:
    mov rax, rcx
    ret
"#
);

extern "C" {
    fn usercopy_movsb(dst: *mut u8, src: *const u8, len: usize) -> usize;
    fn usercopy_fault_insn();
    fn usercopy_fixup();
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
    let left = unsafe { usercopy_movsb(dst, src, len) };
    super::cpu::clac();
    left
}

/// If `frame` faulted inside the copy routine, resume at its fixup.
pub fn fixup(frame: &mut TrapFrame) -> bool {
    if frame.rip == usercopy_fault_insn as *const () as u64 {
        frame.rip = usercopy_fixup as *const () as u64;
        true
    } else {
        false
    }
}
