//! Page faults: the decoded fault record, and resolution before anything
//! is killed or panics.
//!
//! The trap path decodes the CPU's error code into a [`PageFault`]. A fault
//! on a user address (from user mode, or from the kernel's user-copy
//! routine) goes to the hook the user layer registered at boot
//! ([`set_user_handler`]; it resolves copy-on-write and lazy pages in the
//! current process's address space). A kernel fault in a stack guard page
//! is named as a kernel stack overflow in the log. Everything else is
//! unresolved: the caller kills the process, applies the user-copy fixup or
//! panics.

use super::addr::VirtAddr;
use super::kstack;
use core::sync::atomic::{AtomicPtr, Ordering};
use mello_abi::limits::USER_END;

/// A page fault, decoded from CR2 and the CPU's error code.
#[derive(Clone, Copy, Debug)]
pub struct PageFault {
    /// The address that faulted (CR2).
    pub addr: VirtAddr,
    /// The page was present (a protection violation), not missing.
    pub present: bool,
    pub write: bool,
    /// The CPU was in user mode (not the kernel's user-copy routine).
    pub user: bool,
    /// A reserved bit was set in a paging entry.
    pub reserved: bool,
    pub instruction: bool,
}

impl PageFault {
    /// Decode CR2 and the error code pushed by the CPU.
    pub const fn decode(cr2: u64, error: u64) -> Self {
        PageFault {
            addr: VirtAddr::new(cr2),
            present: error & 1 != 0,
            write: error & 2 != 0,
            user: error & 4 != 0,
            reserved: error & 8 != 0,
            instruction: error & 16 != 0,
        }
    }
}

/// Resolves a fault on a user address; `true` if execution may resume.
pub type UserFaultHandler = fn(&PageFault) -> bool;

fn no_user_handler(_: &PageFault) -> bool {
    false
}

static USER_HANDLER: AtomicPtr<()> = AtomicPtr::new(no_user_handler as *mut ());

/// Register the user layer's resolver (once, at boot).
pub fn set_user_handler(handler: UserFaultHandler) {
    USER_HANDLER.store(handler as *mut (), Ordering::Release);
}

/// Try to resolve `fault`; `true` if execution may resume.
pub fn handle_page_fault(fault: &PageFault) -> bool {
    if fault.addr.as_u64() < USER_END as u64 {
        let p = USER_HANDLER.load(Ordering::Acquire);
        // SAFETY: USER_HANDLER only ever holds a `UserFaultHandler` (set
        // above from a value of that type, or the default).
        let handler: UserFaultHandler = unsafe { core::mem::transmute::<*mut (), UserFaultHandler>(p) };
        return handler(fault);
    }
    if kstack::guard_page_hit(fault.addr.as_u64()) {
        crate::klog!("FAULT", "kernel stack overflow (guard page hit at {:#x})", fault.addr.as_u64());
    }
    false
}
