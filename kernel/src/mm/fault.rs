//! Page-fault resolution before anything is killed or panics.
//!
//! A fault on a user address (from user mode, or from the kernel's user-copy
//! routine) goes to the current process's address space, which resolves
//! copy-on-write writes. A kernel fault in a stack guard page is named as a
//! kernel stack overflow in the log. Everything else is unresolved: the
//! caller kills the process, applies the user-copy fixup or panics.

use super::kstack;
use mello_abi::limits::USER_END;

/// Try to resolve a page fault at `addr`; `true` if execution may resume.
pub fn handle_page_fault(addr: u64, error: u64) -> bool {
    if addr < USER_END as u64 {
        return crate::user::handle_user_fault(addr, error);
    }
    if kstack::guard_page_hit(addr) {
        crate::klog!("FAULT", "kernel stack overflow (guard page hit at {:#x})", addr);
    }
    false
}
