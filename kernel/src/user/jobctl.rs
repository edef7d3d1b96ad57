//! Job control: sending signals to process groups, the terminal's signal
//! hook (^C, ^\, ^Z → SIGINT, SIGQUIT, SIGTSTP for the foreground group)
//! and the job-control ioctls of a terminal (Linux's `tiocsctty`,
//! `tiocgpgrp`, `tiocspgrp`, `tiocgsid`, `tiocnotty`).
//!
//! A process's controlling terminal is one flag (`Process::ctty`), set for
//! a session leader by `TIOCSCTTY` and inherited across fork, plus the
//! terminal whose session is the process's (`tty::controlling`); each
//! terminal keeps the session it belongs to and its foreground group
//! (atomics in `tty::Terminal`, read from the input interrupt).
//!
//! Locking: none of its own; sending takes `ProcessTable` (to find the
//! group) then each member's `Signal` lock, both IRQ-safe, so the hook may
//! run in the serial or keyboard interrupt.

#![forbid(unsafe_code)]

use super::process::{self, Pid, Process};
use super::signal::{self, Sender};
use crate::error::{Errno, SysResult};
use crate::mm::uaccess::UserSlice;
use crate::tty::{Signal, Terminal};
use core::sync::atomic::Ordering::Relaxed;
use mello_abi::linux::sigframe::Siginfo;
use mello_abi::linux::signal::{SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTSTP, SI_KERNEL};
use mello_abi::termios::ioctl::{TIOCGPGRP, TIOCGSID, TIOCNOTTY, TIOCSCTTY, TIOCSPGRP};

/// Send `info` to every process of group `pgid`; `ESRCH` if it is empty.
pub fn kill_group(pgid: Pid, info: Siginfo, from: Sender) -> Result<(), Errno> {
    let members = process::select(|p| p.pgid() == pgid);
    if members.is_empty() {
        return Err(Errno::ESRCH);
    }
    for p in &members {
        signal::send(p, info, from);
    }
    Ok(())
}

/// Send `sig` to terminal `t`'s foreground group, if it has one.
pub fn signal_foreground(t: &Terminal, sig: u32) {
    let pgid = t.foreground.load(Relaxed);
    if pgid != 0 {
        let info = Siginfo { signo: sig as i32, code: SI_KERNEL, ..Siginfo::default() };
        let _ = kill_group(pgid, info, Sender::User);
    }
}

/// The terminals' signal hook (`tty::set_signal_hook`).
pub fn terminal_signal(t: &Terminal, sig: Signal) {
    let sig = match sig {
        Signal::Int => SIGINT,
        Signal::Quit => SIGQUIT,
        Signal::Tstp => SIGTSTP,
    };
    signal_foreground(t, sig);
}

/// Whether `t` is `me`'s controlling terminal.
fn is_ctty(t: &Terminal, me: &Process) -> bool {
    me.ctty.load(Relaxed) && t.session.load(Relaxed) == me.sid() && me.sid() != 0
}

fn write_pid(arg: usize, v: Pid) -> Result<(), Errno> {
    UserSlice::new(arg, 4)?.write_from(&(v as i32).to_le_bytes())
}

/// The job-control ioctls on terminal `t`.
pub fn ioctl(t: &Terminal, cmd: u32, arg: usize) -> SysResult {
    let me = super::current_process().ok_or(Errno::ENOTTY)?;
    match cmd {
        TIOCSCTTY => {
            if is_ctty(t, &me) {
                return Ok(0);
            }
            // Only a session leader without a terminal may acquire one, and
            // only a terminal no other session holds (unless `arg` is 1:
            // root steals it).
            if me.sid() != me.pid || me.ctty.load(Relaxed) {
                return Err(Errno::EPERM);
            }
            let held = t.session.load(Relaxed);
            if held != 0 && held != me.sid() && process::group_in_session(held, held) {
                if arg != 1 {
                    return Err(Errno::EPERM);
                }
                for p in process::select(|p| p.sid() == held) {
                    p.ctty.store(false, Relaxed);
                }
            }
            t.session.store(me.sid(), Relaxed);
            t.foreground.store(me.pgid(), Relaxed);
            me.ctty.store(true, Relaxed);
            Ok(0)
        }
        TIOCNOTTY => {
            if !is_ctty(t, &me) {
                return Err(Errno::ENOTTY);
            }
            if me.sid() == me.pid {
                // The session leader lets go: its foreground group hears
                // SIGHUP and SIGCONT, and the whole session loses the terminal.
                signal_foreground(t, SIGHUP);
                signal_foreground(t, SIGCONT);
                let sid = me.sid();
                for p in process::select(|p| p.sid() == sid) {
                    p.ctty.store(false, Relaxed);
                }
                t.session.store(0, Relaxed);
                t.foreground.store(0, Relaxed);
            } else {
                me.ctty.store(false, Relaxed);
            }
            Ok(0)
        }
        TIOCGPGRP => {
            if !is_ctty(t, &me) {
                return Err(Errno::ENOTTY);
            }
            write_pid(arg, t.foreground.load(Relaxed))?;
            Ok(0)
        }
        TIOCGSID => {
            if !is_ctty(t, &me) {
                return Err(Errno::ENOTTY);
            }
            write_pid(arg, t.session.load(Relaxed))?;
            Ok(0)
        }
        TIOCSPGRP => {
            let mut b = [0u8; 4];
            UserSlice::new(arg, 4)?.read_into(&mut b)?;
            if !is_ctty(t, &me) {
                return Err(Errno::ENOTTY);
            }
            let pgid = i32::from_le_bytes(b);
            if pgid < 0 {
                return Err(Errno::EINVAL);
            }
            let pgid = pgid as Pid;
            if !process::group_exists(pgid) {
                return Err(Errno::ESRCH);
            }
            if !process::group_in_session(pgid, me.sid()) {
                return Err(Errno::EPERM);
            }
            t.foreground.store(pgid, Relaxed);
            Ok(0)
        }
        _ => Err(Errno::ENOTTY),
    }
}
