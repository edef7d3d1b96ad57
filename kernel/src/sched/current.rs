//! The current task: each CPU's running slot and the accessors of the task
//! running on this CPU (its user frame, FPU state, address-space root and
//! FS base).
//!
//! Invariants: a CPU's running slot (`percpu::cpu(cpu).current`) holds one
//! strong reference to the task running there; it is written only by its
//! own CPU with interrupts disabled (`schedule`), so the running task can
//! read it without a lock, and the task it names cannot go away while it
//! runs. The accessors here touch only the running task's own state (its
//! frame, FPU area, `cr3`, `fs_base`), which no other CPU writes while it
//! runs; no lock is taken.

use super::context;
use super::task::{self, Task};
use crate::arch::{irq, percpu, trap::TrapFrame};
use alloc::sync::Arc;
use core::sync::atomic::Ordering;

/// The running task of CPU `cpu` (a raw `Arc`; the slot owns one reference).
pub(super) fn running(cpu: usize) -> *mut Task {
    percpu::cpu(cpu).current.load(Ordering::Relaxed) as *mut Task
}

pub(super) fn set_running(cpu: usize, task: *mut Task) {
    percpu::cpu(cpu).current.store(task as *mut (), Ordering::Release);
}

/// The running task, read with one instruction: whichever CPU we are on,
/// its slot names us. (Hot: every system call; always inlined.)
#[inline(always)]
fn current_ptr() -> *mut Task {
    let p = percpu::current_task_ptr() as *mut Task;
    assert!(!p.is_null(), "scheduler not running on this CPU");
    p
}

/// The task running on this CPU.
pub fn current() -> Arc<Task> {
    let p = current_ptr();
    // SAFETY: the per-CPU slot holds a strong reference to the running task,
    // which cannot go away while it runs this code.
    unsafe {
        Arc::increment_strong_count(p);
        Arc::from_raw(p)
    }
}

/// Name of the running task, if the scheduler runs on this CPU (for the
/// panic report).
pub fn try_current_name() -> Option<&'static str> {
    let p = percpu::current_task_ptr() as *const Task;
    // SAFETY: a non-null slot holds a live reference to the running task.
    (!p.is_null()).then(|| unsafe { (*p).name })
}

/// Run `f` with a reference to the current task without touching its
/// reference count (the task cannot go away while it runs `f`).
#[inline(always)]
pub fn with_current<R>(f: impl FnOnce(&Task) -> R) -> R {
    // SAFETY: as in `current`.
    f(unsafe { &*current_ptr() })
}

/// Run `f` on the current user task's saved user registers (the trap frame
/// of this entry into the kernel: a system call or a fault). Changing it
/// changes where and how the task resumes in user mode.
pub fn with_user_frame<R>(f: impl FnOnce(&mut TrapFrame) -> R) -> R {
    with_current(|t| {
        assert!(t.is_user(), "with_user_frame from a kernel task");
        // SAFETY: we are that task, running in the kernel; the frame at the
        // top of our kernel stack belongs to this entry and nobody else
        // touches it until we return to user mode.
        f(unsafe { t.user_frame() })
    })
}

/// Replace the current user task's FPU/SSE state with the 512-byte FXSAVE
/// image `image` (`rt_sigreturn`), loading it now. Bits `fxrstor` would
/// fault on are cleared first: MXCSR's reserved bits (kept: the bits of
/// `MXCSR_MASK` 0xFFBF) and the reserved bytes are taken as given (the CPU
/// ignores them).
pub fn set_current_fpu(image: &[u8; 512]) {
    with_current(|t| {
        let Some(fx) = &t.fx else { return };
        let mut area = [0u8; 512];
        area.copy_from_slice(image);
        let mxcsr = u32::from_le_bytes([area[24], area[25], area[26], area[27]]) & 0xFFBF;
        area[24..28].copy_from_slice(&mxcsr.to_le_bytes());
        // MXCSR_MASK (bytes 28..32) is an output of fxsave; fxrstor ignores it.
        irq::without(|| {
            // SAFETY: we are the running task with interrupts off, so nobody
            // else touches the area or the live FPU registers; the image's
            // MXCSR has no reserved bit set, so `fxrstor` cannot fault.
            unsafe {
                (**fx.get()).0.copy_from_slice(&area);
                context::fxrstor(&*fx.get());
            }
        });
    })
}

/// Save the current task's FPU state and return a copy (for `fork`).
pub fn current_fpu_copy() -> alloc::boxed::Box<task::FxArea> {
    with_current(|t| {
        t.save_fpu_now();
        t.fpu_copy()
    })
}

/// Load address space `root` for the current task from now on (also on
/// every later switch to it).
///
/// `root` must be a PML4 whose kernel half is the kernel's, as every
/// `mm::AddressSpace` and the kernel tables are; the address-space type
/// keeps that invariant, so this is only called through it.
pub(crate) fn set_current_root(root: u64) {
    irq::without(|| {
        with_current(|t| t.cr3.store(root, Ordering::Relaxed));
        crate::mm::tlb::note_loaded(percpu::cpu_id(), root);
        // SAFETY: the caller's contract: `root` maps the kernel half exactly as
        // every other root does, so the kernel keeps running after the switch.
        unsafe { crate::arch::cpu::write_cr3(root) };
    })
}

/// Set the current user task's FS base (`arch_prctl(ARCH_SET_FS)`): kept in
/// the task and loaded now and on every later switch to it. Refuses (false)
/// an address outside the lower half, which `wrmsr` would fault on
/// (Linux: `EPERM`).
pub fn set_current_fs_base(base: u64) -> bool {
    if base >= mello_abi::limits::USER_END as u64 {
        return false;
    }
    with_current(|t| t.fs_base.store(base, Ordering::Relaxed));
    // SAFETY: `base` is canonical (lower half); the kernel never uses FS
    // (its per-CPU data is GS-based), so only user code sees the change.
    unsafe { crate::arch::cpu::write_msr(crate::arch::cpu::MSR_FS_BASE, base) };
    true
}

/// The current task's FS base (`arch_prctl(ARCH_GET_FS)`, fork).
pub fn current_fs_base() -> u64 {
    with_current(|t| t.fs_base.load(Ordering::Relaxed))
}
