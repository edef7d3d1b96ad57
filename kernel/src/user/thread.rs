//! Threads: several tasks running one process (Linux's `clone` with
//! `CLONE_THREAD`), how one of them ends, and how `execve` leaves one.
//!
//! * [`spawn`] makes a thread of the current process: a new task with its
//!   own kernel stack, a copy of the caller's registers (`rax` 0, the new
//!   stack pointer; for the native `thread_spawn` also a new `rip` and
//!   `rdi`, [`ThreadEntry`]) and FPU state, its FS base (`CLONE_SETTLS`),
//!   a tid from the pid space and the caller's signal mask; it shares the
//!   process's address space, descriptors and signal actions. Its signal entry
//!   (`signal::ThreadSig`) exists before its task can run.
//! * [`exit_thread`] ends the calling thread: `clear_child_tid` is zeroed
//!   and its futex woken (how `pthread_join` and musl's thread-list lock
//!   learn of the end), the CPU leaves the address space, and the entry
//!   goes. The last thread out ends the process: files closed, address
//!   space freed (no thread can be using it any more: each left it before
//!   removing its entry), zombie made with the group's status (an
//!   `exit_group` or fatal signal's, else the first thread's own `exit`
//!   code, else the last one's), as Linux's `wait` reports.
//! * [`end_others_for_exec`] (Linux's `de_thread`): the other threads get
//!   SIGKILL and the caller waits until they are gone, then takes the
//!   pid as its tid.
//!
//! Locking: the thread list and `group_exit`/`execing` are the process's
//! signal state (`Signals`, level `Signal`); tids live in the process table
//! (`ProcessTable`); no lock is held across a user-memory access, a wake-up
//! or the final switch.

#![forbid(unsafe_code)]

use super::process::{self, Exit, Pid, Process, Thread};
use super::signal::ThreadSig;
use super::{current_process, current_thread, futex, uaccess};
use crate::error::{Errno, SysResult};
use crate::sched::{self, task::Task, TaskData};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use mello_abi::linux::sigframe::StackT;
use mello_abi::linux::signal::SS_DISABLE;

/// Where a native thread starts (Linux's `clone` continues at the
/// caller's `rip` instead).
#[derive(Clone, Copy, Debug)]
pub struct ThreadEntry {
    /// Its first instruction.
    pub rip: u64,
    /// Its first argument (`rdi`).
    pub arg: u64,
}

/// What `clone` or `thread_spawn` asks of a new thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadOpts {
    /// Its entry point, if not the caller's return address.
    pub entry: Option<ThreadEntry>,
    /// Its stack pointer (`newsp`), if not the caller's.
    pub stack: Option<u64>,
    /// Its FS base (`CLONE_SETTLS`), if not the caller's.
    pub tls: Option<u64>,
    /// `CLONE_PARENT_SETTID` / `CLONE_CHILD_SETTID`: where its tid is stored
    /// before it runs (one shared memory, so both are written at once).
    pub parent_tid: Option<u64>,
    pub child_settid: Option<u64>,
    /// `CLONE_CHILD_CLEARTID`: zeroed and futex-woken when it ends.
    pub child_cleartid: Option<u64>,
}

/// Start a new thread of the current process; returns its tid.
pub fn spawn(opts: &ThreadOpts) -> SysResult {
    let proc = current_process().ok_or(Errno::EINVAL)?;
    let tid = process::alloc_tid(proc.pid)?;
    let started = start(&proc, tid, opts);
    if started.is_err() {
        process::release_tid(tid);
    }
    started.map(|()| tid)
}

fn start(proc: &Arc<Process>, tid: Pid, opts: &ThreadOpts) -> Result<(), Errno> {
    let mut frame = sched::with_user_frame(|f| *f);
    frame.rax = 0;
    if let Some(sp) = opts.stack {
        frame.rsp = sp;
    }
    if let Some(e) = opts.entry {
        frame.rip = e.rip;
        frame.rdi = e.arg;
    }
    let fx = sched::current_fpu_copy();
    let data = TaskData::new(Arc::new(Thread { tid: AtomicUsize::new(tid), proc: proc.clone() }));
    let task = Task::new_user("thread", tid, data, &frame, fx, proc.root())?;
    task.fs_base.store(opts.tls.unwrap_or_else(sched::current_fs_base), Relaxed);
    task.syscall_abi.store(sched::with_current(|t| t.syscall_abi.load(Relaxed)), Relaxed);
    // Linux stores both before the thread runs; errors are ignored.
    for at in [opts.parent_tid, opts.child_settid].into_iter().flatten() {
        let _ = uaccess::write_i32(at as usize, tid as i32);
    }
    let (blocked, _) = proc.signals.my_mask_and_stack();
    // A thread sharing the memory does not share the alternate stack
    // (Linux clears it for CLONE_VM).
    let mut sig = ThreadSig::new(tid, &task, blocked, StackT { sp: 0, flags: SS_DISABLE, size: 0 });
    sig.clear_child_tid = opts.child_cleartid.unwrap_or(0);
    {
        let mut s = proc.signals.lock();
        if s.group_exit.is_some() || s.execing.is_some() {
            // The group is ending: the caller dies on its way out.
            return Err(Errno::EAGAIN);
        }
        fallible::in_scope(|| s.threads.try_reserve(1)).map_err(crate::error::no_memory)?;
        s.threads.push(sig);
    }
    sched::start(task);
    Ok(())
}

/// `exit(code)`: end the calling thread (the process with the last one).
pub fn exit(code: u8) -> ! {
    exit_thread(Exit::Code(code))
}

/// End the calling thread (module doc); `own` is how it ended itself.
pub fn exit_thread(own: Exit) -> ! {
    let thread = current_thread().expect("exit_thread from a kernel task");
    let (proc, tid) = (thread.proc.clone(), thread.tid());
    drop(thread);
    // CLONE_CHILD_CLEARTID / set_tid_address: zero the word and wake one
    // futex waiter on it (Linux's mm_release), errors ignored.
    let tid_addr = core::mem::take(&mut proc.signals.lock().me().clear_child_tid);
    if tid_addr != 0 && uaccess::write_i32(tid_addr as usize, 0).is_ok() {
        futex::wake(&proc, tid_addr, 1);
    }
    // Leave the address space before the entry goes: once it has, the last
    // thread may free the space at any moment.
    crate::mm::kernel_space::activate_kernel();
    let (last, exit) = {
        let mut s = proc.signals.lock();
        s.threads.retain(|t| t.tid != tid);
        if tid == proc.pid && s.first_exit.is_none() {
            s.first_exit = Some(own);
        }
        (s.threads.is_empty(), s.group_exit.or(s.first_exit).unwrap_or(own))
    };
    if tid != proc.pid {
        process::release_tid(tid);
    }
    if !last {
        drop(proc);
        sched::exit_current()
    }
    end_process(proc, exit)
}

/// The last thread is gone: close the files, free the memory, make the zombie.
fn end_process(proc: Arc<Process>, exit: Exit) -> ! {
    // Close every file (and release the working directory) here, with no
    // lock held, rather than wherever the last reference to the process
    // happens to go.
    let files = core::mem::take(&mut *proc.files.lock());
    drop(files);
    drop(proc.space.lock().take());
    if proc.pid == process::INIT_PID {
        crate::klog!("KERNEL", "init exited with code {}", exit.native_status());
        crate::metrics::print();
        crate::arch::acpi::poweroff();
    }
    process::make_zombie(&proc, exit);
    drop(proc);
    sched::exit_current()
}

/// Before `execve` replaces the image: end every other thread and wait
/// until they are gone; the caller's tid becomes the pid. `EAGAIN` if the
/// group is already ending (the caller then dies on its way out).
pub fn end_others_for_exec(proc: &Process) -> Result<(), Errno> {
    let me = super::current_tid().ok_or(Errno::EINVAL)?;
    let others = {
        let mut s = proc.signals.lock();
        if s.threads.len() == 1 {
            return Ok(());
        }
        if s.group_exit.is_some() || s.execing.is_some() {
            return Err(Errno::EAGAIN);
        }
        s.execing = Some(me);
        let stopped = core::mem::take(&mut s.stopped);
        (s.kill_others(), stopped)
    };
    for t in &others.0 {
        if others.1 {
            sched::wake(t);
        }
        sched::end_interruptible_wait(t);
    }
    // They end at their next return to user mode (at most a tick away) or
    // when a wait ends; a tick's sleep between looks is plenty.
    while proc.signals.lock().threads.len() > 1 {
        sched::sleep::sleep(1);
    }
    {
        let mut s = proc.signals.lock();
        s.execing = None;
        s.me().tid = proc.pid;
    }
    if let Some(t) = current_thread() {
        t.tid.store(proc.pid, Relaxed);
    }
    if me != proc.pid {
        process::release_tid(me);
    }
    Ok(())
}
