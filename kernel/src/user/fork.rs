//! `fork` and its Linux variants: duplicate the calling process
//! copy-on-write ([`fork_with`], with the options `clone` and `vfork` add),
//! and the vfork parent's wait ([`wait_vfork`]).
//!
//! The child's address space is a copy-on-write copy of the parent's; its
//! open files and signal actions are copies too. The child's thread starts
//! only once the whole child is built; if it cannot be built, the child is
//! reaped at once and never runs. The vfork wait holds the child's `inner` lock
//! only to check `vfork_done` and queue itself (the protocol of
//! `sched::wait`).

#![forbid(unsafe_code)]

use super::{current_process, first_thread, personality, process, signal, Exit, Process};
use crate::error::{Errno, SysResult};
use crate::sched::{self, task::Task};

/// `fork`: duplicate the current process copy-on-write.
pub fn fork() -> SysResult {
    fork_with(&ForkOpts::default())
}

/// What Linux's `clone`/`vfork` add to a plain fork.
#[derive(Clone, Copy, Debug)]
pub struct ForkOpts {
    /// The child's stack pointer (clone's `newsp`), if not the parent's.
    pub stack: Option<u64>,
    /// The child's FS base (`CLONE_SETTLS`).
    pub tls: Option<u64>,
    /// The signal the parent gets when the child ends (clone's low byte).
    pub exit_signal: u32,
    /// `CLONE_CHILD_SETTID`: the child's tid is stored here in the child.
    pub child_settid: Option<u64>,
    /// `CLONE_CHILD_CLEARTID`: cleared and woken when the child ends.
    pub child_cleartid: Option<u64>,
    /// The parent sleeps until the child execs or exits (`vfork`).
    pub vfork: bool,
}

impl Default for ForkOpts {
    fn default() -> Self {
        ForkOpts {
            stack: None,
            tls: None,
            exit_signal: mello_abi::linux::signal::SIGCHLD,
            child_settid: None,
            child_cleartid: None,
            vfork: false,
        }
    }
}

/// Fork with `opts`; returns the child's pid.
pub fn fork_with(opts: &ForkOpts) -> SysResult {
    let parent = current_process().ok_or(Errno::EINVAL)?;
    let space = {
        let mut guard = parent.space.lock();
        let mine = guard.as_mut().ok_or(Errno::EINVAL)?;
        let space = mine.fork_cow();
        // The parent's writable pages just became read-only (some of them,
        // if the copy failed): flush them here and on the CPUs running its
        // other threads.
        mine.flush_everywhere();
        space?
    };
    let name = parent.name.lock().clone();
    let files = parent.files.lock().clone();
    let child = process::create(Some(parent.pid), &name, space, files, false)?;
    let cmdline = parent.cmdline.lock().clone();
    *child.cmdline.lock() = cmdline;
    child.signals.copy_actions(&parent.signals);
    child.signals.lock().exit_signal = opts.exit_signal;
    let (blocked, altstack) = parent.signals.my_mask_and_stack();
    let mut frame = sched::with_user_frame(|f| *f);
    frame.rax = 0;
    if let Some(sp) = opts.stack {
        frame.rsp = sp;
    }
    let fx = sched::current_fpu_copy();
    let root = child.root();
    let task = Task::new_user("user", child.pid, first_thread(&child), &frame, fx, root).map_err(Errno::from).and_then(|task| {
        let mut sig = signal::ThreadSig::new(child.pid, &task, blocked, altstack);
        sig.clear_child_tid = opts.child_cleartid.unwrap_or(0);
        sig.start_settid = opts.child_settid;
        child.signals.attach(sig)?;
        Ok(task)
    });
    match task {
        Ok(task) => {
            let fs = opts.tls.unwrap_or_else(sched::current_fs_base);
            task.fs_base.store(fs, core::sync::atomic::Ordering::Relaxed);
            personality::set(&child, &task, parent.personality.get());
            if opts.child_settid.is_some() {
                // The child stores its tid itself, on its first way out.
                task.user_work.store(true, core::sync::atomic::Ordering::SeqCst);
            }
            sched::start(task)
        }
        Err(e) => {
            // Undo: the child never ran; reap it silently.
            process::make_zombie(&child, Exit::Code(0));
            let _ = process::wait_child(&parent, &process::WaitReq::native(child.pid as isize));
            return Err(e);
        }
    }
    if opts.vfork {
        wait_vfork(&parent, &child);
    }
    Ok(child.pid)
}

/// Linux's vfork wait: the calling thread of `parent` sleeps until `child`
/// execs or exits, killable only (`TASK_KILLABLE`). SIGKILL, or the group
/// ending, ends the wait early; the way out to user mode then ends the
/// process. Any other signal stays pending until the child is done.
pub fn wait_vfork(parent: &Process, child: &Process) {
    use mello_abi::linux::signal::{bit, SIGKILL};
    let fatal = || {
        let s = parent.signals.lock();
        s.pending() & bit(SIGKILL) != 0 || s.group_exit.is_some()
    };
    let waiter = sched::wait::Waiter::prepare(None);
    loop {
        {
            let mut inner = child.inner.lock();
            if inner.vfork_done {
                return;
            }
            inner.vfork_waiters.enqueue_current();
        }
        let woke = waiter.block_killable(fatal);
        child.inner.lock().vfork_waiters.remove(&sched::current());
        if woke == sched::wait::Wake::Interrupted {
            return;
        }
    }
}
