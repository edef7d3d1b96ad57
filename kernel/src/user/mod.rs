//! User mode: processes, their address spaces and their life cycle.
//!
//! * [`spawn_init`] loads the first program from the ramdisk as PID 1.
//! * [`fork`], [`exec`], [`exit_current`] and [`wait`] implement the
//!   system calls of the same names (DESIGN.md's ABI).
//! * [`handle_user_fault`] resolves copy-on-write faults; any other user
//!   fault kills only the faulting process (see `arch::exceptions`).
//!
//! When PID 1 exits the kernel prints `[KERNEL] init exited with code N`
//! and powers the machine off.

pub mod initrd;
pub mod loader;
pub mod process;
pub mod uaccess;
pub mod vm;

use crate::arch::trap::TrapFrame;
use crate::error::{Errno, SysResult};
use crate::sched::{self, task::Task};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
pub use process::{Pid, Process, INIT_PID};

/// The current task's process, if it is a user task.
pub fn current_process() -> Option<Arc<Process>> {
    sched::with_current(|t| t.user.clone())
}

/// Pid of the current process, if any.
#[inline]
pub fn current_pid() -> Option<Pid> {
    sched::with_current(|t| t.user.as_ref().map(|p| p.pid))
}

/// Start `path` from the ramdisk as PID 1 (with `extra` arguments).
pub fn spawn_init(path: &str, extra: &[&str], boot: &crate::bootinfo::BootInfo) {
    initrd::init(boot);
    crate::klog!("INIT", "Loading init process from {}", path);
    let mut argv: Vec<&str> = alloc::vec![path];
    argv.extend_from_slice(extra);
    if let Err(e) = spawn_as(path, &argv, true) {
        crate::klog!("INIT", "cannot start {}: {:?}", path, e);
        crate::klog!("KERNEL", "init exited with code 127");
        crate::arch::acpi::poweroff();
    }
}

/// Start program `path` from the ramdisk as a new process without a parent
/// (init, or a program run by the kernel's own tests).
pub fn spawn(path: &str, argv: &[&str]) -> Result<Arc<Process>, Errno> {
    spawn_as(path, argv, false)
}

fn spawn_as(path: &str, argv: &[&str], is_init: bool) -> Result<Arc<Process>, Errno> {
    let elf = initrd::lookup(path).ok_or(Errno::ENOENT)?;
    let argv: Vec<Vec<u8>> = argv.iter().map(|a| a.as_bytes().to_vec()).collect();
    let image = loader::load(elf, &argv)?;
    let (entry, sp) = (image.entry, image.stack_pointer);
    let proc = process::create(None, path, image.space, is_init)?;
    let frame = TrapFrame::new_user(entry, sp);
    let name = if is_init { "init" } else { "user" };
    match Task::new_user(name, proc.clone(), &frame, sched::task::FxArea::new_default(), proc.root()) {
        Ok(task) => sched::start(task),
        Err(e) => {
            process::make_zombie(&proc, 0);
            process::reap_parentless(proc.pid);
            return Err(e.into());
        }
    }
    Ok(proc)
}

/// `fork`: duplicate the current process copy-on-write.
pub fn fork() -> SysResult {
    let parent = current_process().ok_or(Errno::EINVAL)?;
    let space = {
        let mut guard = parent.space.lock();
        let space = guard.as_mut().ok_or(Errno::EINVAL)?.fork_cow()?;
        // The parent's writable pages just became read-only: flush them.
        // SAFETY: reloading the current CR3 only flushes the TLB.
        unsafe { crate::arch::cpu::write_cr3(crate::arch::cpu::read_cr3()) };
        space
    };
    let name = parent.name.lock().clone();
    let child = process::create(Some(parent.pid), &name, space, false)?;
    let (frame, fx) = sched::with_current(|t| {
        t.save_fpu_now();
        // SAFETY: we are the running task; its trap frame is this syscall's.
        let mut frame = unsafe { *t.user_frame() };
        frame.rax = 0;
        (frame, t.fpu_copy())
    });
    let root = child.root();
    match Task::new_user("user", child.clone(), &frame, fx, root) {
        Ok(task) => sched::start(task),
        Err(e) => {
            // Undo: the child never ran; reap it silently.
            process::make_zombie(&child, 0);
            let _ = process::wait_child(&parent, child.pid as isize);
            return Err(e.into());
        }
    }
    Ok(child.pid)
}

/// `exec`: replace the current image with the program at `path`.
pub fn exec(path: &str, argv: &[Vec<u8>]) -> SysResult {
    let proc = current_process().ok_or(Errno::EINVAL)?;
    let elf = initrd::lookup(path).ok_or(Errno::ENOENT)?;
    let image = loader::load(elf, argv)?;
    let root = image.space.root();
    let old = proc.space.lock().replace(image.space);
    sched::with_current(|t| {
        t.cr3.store(root, core::sync::atomic::Ordering::Relaxed);
        // SAFETY: the new space shares the kernel half; we run in the kernel.
        unsafe { crate::arch::cpu::write_cr3(root) };
        // SAFETY: we are the running task; the frame is this syscall's.
        let frame = unsafe { t.user_frame() };
        *frame = TrapFrame::new_user(image.entry, image.stack_pointer);
    });
    drop(old); // no CPU has the old space loaded any more
    *proc.name.lock() = String::from(path);
    Ok(0)
}

/// `exit` (and fault kills): make the current process a zombie with
/// `status`, free its memory and stop its task. Does not return.
pub fn exit_current(status: i32) -> ! {
    let Some(proc) = current_process() else {
        panic!("exit_current from a kernel task");
    };
    // Leave the address space before freeing it.
    sched::with_current(|t| {
        let kernel = crate::mm::kernel_space::kernel_pml4();
        t.cr3.store(kernel, core::sync::atomic::Ordering::Relaxed);
        // SAFETY: the kernel page tables map the kernel exactly as ours do.
        unsafe { crate::arch::cpu::write_cr3(kernel) };
    });
    drop(proc.space.lock().take());
    if proc.pid == INIT_PID {
        crate::klog!("KERNEL", "init exited with code {}", status);
        crate::metrics::print();
        crate::arch::acpi::poweroff();
    }
    process::make_zombie(&proc, status);
    drop(proc);
    sched::exit_current()
}

/// `wait`: reap a child; returns its pid and writes its status.
pub fn wait(pid: isize, status_ptr: usize) -> SysResult {
    let me = current_process().ok_or(Errno::EINVAL)?;
    if status_ptr != 0 {
        // Fail early on an obviously bad pointer, before reaping anything.
        uaccess::UserSlice::new(status_ptr, 4)?;
    }
    let (child, status) = process::wait_child(&me, pid)?;
    if status_ptr != 0 {
        uaccess::write_i32(status_ptr, status)?;
    }
    Ok(child)
}

/// Page fault on a user address: resolve copy-on-write writes and first
/// touches of the stack.
pub fn handle_user_fault(addr: u64, error: u64) -> bool {
    use crate::arch::exceptions::pf;
    if error & (pf::RESERVED | pf::INSTRUCTION) != 0 {
        return false;
    }
    let Some(proc) = current_process() else { return false };
    let mut space = proc.space.lock();
    let (write, present) = (error & pf::WRITE != 0, error & pf::PRESENT != 0);
    match space.as_mut().map(|s| s.resolve_fault(addr, write, present)) {
        Some(Ok(resolved)) => resolved,
        Some(Err(_)) => {
            crate::klog!("FAULT", "pid {}: out of memory resolving a page fault", proc.pid);
            false
        }
        None => false,
    }
}

