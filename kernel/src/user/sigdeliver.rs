//! Signal delivery on the way back to user mode, system-call restart,
//! stopping and continuing, and `rt_sigreturn`.
//!
//! [`on_resume`] is the framework's resume hook (`sched::set_resume_hook`):
//! it runs on every return to ring 3 of a task whose `user_work` is set
//! (a deliverable signal, or a new child's `CLONE_CHILD_SETTID`), with
//! interrupts on and no lock held, on the task's own trap frame. For each
//! deliverable signal (SIGKILL first, then faults, then by number) it
//! takes the action: ignore; terminate (`Exit::Signal`); core (the same,
//! no core file is written); stop (every thread of the process stops:
//! the others join on their way to user mode; the parent hears of it, and
//! each task sleeps until SIGCONT or SIGKILL); or a handler, for
//! which it writes a frame (`sigframe`) and blocks `sa_mask` plus the
//! signal itself unless `SA_NODEFER` (`SA_RESETHAND` resets the action).
//! Several pending handlers nest (the last one set up runs first), as on
//! Linux.
//!
//! Restart (Linux's ERESTART* protocol): a blocking call that a signal
//! interrupted returns `ERESTARTSYS`, `ERESTARTNOHAND` or `ERESTARTNOINTR`
//! and [`note_restart`] records the call's number and sets `user_work`.
//! If a handler runs, the call returns `EINTR` — except `ERESTARTSYS` with
//! `SA_RESTART` and `ERESTARTNOINTR`, which restart; if no handler runs
//! (the signal was ignored, or stopped and continued the process), the
//! call restarts: `rip` goes back over the 2-byte `syscall`/`int 0x80`
//! and `rax` gets the number back. User space never sees the codes.
//!
//! A native process has no handlers (the native ABI has no signal calls):
//! it only ever takes default actions, and its calls restart.

#![forbid(unsafe_code)]

use super::process::{Exit, JobChange, Process};
use super::signal::{self, Default};
use super::{current_process, sigframe};
use crate::arch::trap::TrapFrame;
use alloc::sync::Arc;
use crate::error::{Errno, SysResult};
use crate::sched;
use mello_abi::linux::sigframe::StackT;
use mello_abi::linux::signal::*;

/// Remember that call `number` returned a restart code (cold path of
/// both dispatchers), so that [`on_resume`] runs and resolves it.
pub fn note_restart(number: u64, result: &SysResult) {
    if let Err(e) = result {
        if matches!(e, Errno::ERESTARTSYS | Errno::ERESTARTNOHAND | Errno::ERESTARTNOINTR) {
            if let Some(p) = current_process() {
                p.signals.lock().me().restart_nr = Some(number);
                sched::set_current_user_work(true);
            }
        }
    }
}

/// The resume hook (module doc).
pub fn on_resume(frame: &mut TrapFrame) {
    let Some(proc) = current_process() else { return };
    if let Some(addr) = proc.signals.lock().me().start_settid.take() {
        // CLONE_CHILD_SETTID: in our own memory now; errors are ignored.
        let _ = crate::mm::uaccess::write_i32(addr as usize, proc.pid as i32);
    }
    let mut restart = proc.signals.lock().me().restart_nr.take();
    let mut handled = false;
    loop {
        let mut s = proc.signals.lock();
        if s.stopped && s.me_ref().pending & bit(SIGKILL) == 0 {
            // Another thread took a stop signal: the whole group stops.
            drop(s);
            park(&proc);
            continue;
        }
        let Some(sig) = s.next_deliverable() else {
            if !handled {
                // sigsuspend's mask comes back when no handler ran.
                let me = s.me();
                if let Some(mask) = me.saved_mask.take() {
                    me.blocked = mask;
                }
            }
            signal::recalc(&s);
            break;
        };
        let info = s.take(sig);
        let action = s.action(sig);
        let handler = if sig == SIGKILL || sig == SIGSTOP { SIG_DFL } else { action.handler };
        match handler {
            SIG_IGN => continue,
            SIG_DFL => {
                drop(s);
                match signal::default_action(sig) {
                    Default::Ignore | Default::Continue => {}
                    Default::Terminate => die(proc, sig, false),
                    Default::Core => die(proc, sig, false),
                    Default::Stop => stop(&proc, sig),
                }
                continue;
            }
            _ => {}
        }
        // A handler. Resolve an interrupted call first.
        if let Some(nr) = restart.take() {
            let code = frame.rax as i64;
            let restart_it = code == Errno::ERESTARTNOINTR.as_ret() as i64
                || (code == Errno::ERESTARTSYS.as_ret() as i64 && action.flags & SA_RESTART != 0);
            if restart_it {
                rewind(frame, nr);
            } else {
                frame.rax = Errno::EINTR.as_ret() as u64;
            }
        }
        let me = s.me();
        let mask = me.saved_mask.take().unwrap_or(me.blocked);
        let mut altstack = me.altstack;
        let fault = match info.fields {
            mello_abi::linux::sigframe::SigFields::Fault { addr } if info.code > 0 => {
                Some((me.fault_error, me.fault_vector, addr))
            }
            _ => None,
        };
        drop(s);
        let setup = sigframe::Setup {
            handler: action.handler,
            restorer: if action.flags & SA_RESTORER != 0 { action.restorer } else { 0 },
            info: &info,
            mask,
            onstack: action.flags & SA_ONSTACK != 0,
            altstack: &mut altstack,
            fault,
            signo: sig,
        };
        if sigframe::setup(frame, setup).is_err() {
            // Linux's force_sigsegv: a frame that cannot be written kills.
            crate::klog!("SIGNAL", "pid {}: cannot write the frame for signal {}: killed by SIGSEGV", proc.pid, sig);
            die(proc, SIGSEGV, false);
        }
        let mut s = proc.signals.lock();
        let me = s.me();
        me.altstack = altstack;
        me.blocked |= action.mask & !UNBLOCKABLE;
        if action.flags & SA_NODEFER == 0 {
            me.blocked |= bit(sig);
        }
        if action.flags & SA_RESETHAND != 0 {
            s.actions[sig as usize - 1] = mello_abi::linux::KernelSigaction::default();
        }
        handled = true;
    }
    if let Some(nr) = restart {
        // No handler ran: the call starts again.
        rewind(frame, nr);
    }
}

/// Make `frame` re-issue system call `nr` (both entry instructions are 2 bytes).
fn rewind(frame: &mut TrapFrame, nr: u64) {
    frame.rip = frame.rip.wrapping_sub(2);
    frame.rax = nr;
}

/// End the process by signal `sig`. Takes the caller's reference: the
/// exit does not return, so a reference still held in a caller's frame
/// would never be dropped (a killed process's record leaked that way).
fn die(proc: Arc<Process>, sig: u32, core: bool) -> ! {
    crate::kdebug!("SIGNAL", "pid {} (tid {}) killed by signal {}", proc.pid, super::current_tid().unwrap_or(0), sig);
    drop(proc);
    super::exit_as(Exit::Signal { sig, core })
}

/// Default action of a stop signal: the whole group stops until SIGCONT
/// (or SIGKILL); the other threads join on their way to user mode.
fn stop(proc: &Process, sig: u32) {
    let others = {
        let mut s = proc.signals.lock();
        if s.pending() & bit(SIGKILL) != 0 || s.group_exit.is_some() {
            return;
        }
        s.stopped = true;
        signal::interrupt_others(&mut s)
    };
    for t in &others {
        sched::end_interruptible_wait(t);
    }
    super::process::report_job_change(proc, JobChange::Stopped(sig));
    park(proc);
}

/// Sleep while the group is stopped (until SIGCONT or SIGKILL).
fn park(proc: &Process) {
    // A blocked task is kept alive only by whoever will wake it: hold our
    // own reference while stopped (the process's link to us is weak).
    let _me = sched::current();
    loop {
        let s = proc.signals.lock();
        if !s.stopped || s.pending() & bit(SIGKILL) != 0 {
            break;
        }
        // Blocked under the lock: SIGCONT's sender clears `stopped` under
        // it and wakes us after releasing it, so the wake-up is not lost.
        sched::with_current(|t| t.set_state(sched::task::TaskState::Blocked));
        drop(s);
        sched::wait::block();
    }
}

/// `rt_sigreturn()`: restore the context the handler interrupted; the
/// result is the restored `rax`. A bad frame kills with SIGSEGV.
pub fn rt_sigreturn() -> SysResult {
    let proc = current_process().ok_or(Errno::EINVAL)?;
    let restored = sched::with_user_frame(sigframe::restore);
    let Ok(restored) = restored else {
        crate::klog!("SIGNAL", "pid {}: rt_sigreturn with a bad frame: killed by SIGSEGV", proc.pid);
        die(proc, SIGSEGV, false);
    };
    let mut guard = proc.signals.lock();
    let s = guard.me();
    s.blocked = restored.mask & !UNBLOCKABLE;
    s.restart_nr = None;
    // The alternate stack as the frame had it (Linux's restore_altstack),
    // unless we are running on it.
    let st = restored.stack;
    let rsp = sched::with_user_frame(|f| f.rsp);
    if !sigframe::on_stack(&s.altstack, rsp) && (st.flags & SS_DISABLE != 0 || st.size >= MINSIGSTKSZ) {
        s.altstack = if st.flags & SS_DISABLE != 0 { StackT { sp: 0, flags: SS_DISABLE, size: 0 } } else { StackT { flags: st.flags & SS_AUTODISARM, ..st } };
    }
    signal::recalc(&guard);
    drop(guard);
    Ok(sched::with_user_frame(|f| f.rax) as usize)
}
