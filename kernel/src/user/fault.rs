//! What the kernel says when a user program dies of a fault: one log line
//! naming the process, the exception, where it happened in the program's
//! own symbols (`in utest::faults::null_write+0x1c`, read from the
//! executable's `.symtab` when it has one, then ` (FILE:LINE)` from its
//! DWARF line tables when it has those) and, for a fault in the guard
//! page just below the stack, that it was a stack overflow. Then the
//! process is killed with `128 + signal`.
//!
//! A Linux process first gets the chance to handle it: if it has a
//! handler for the signal and does not block it, the signal is queued with
//! Linux's siginfo (`si_code`, `si_addr`) and delivered on the way out of
//! the exception; unhandled, ignored or blocked, it kills as above
//! (Linux's `force_sig`: a blocked fault signal is fatal).

use super::process::Process;
use crate::arch::exceptions::UserFault;
use crate::arch::trap::TrapFrame;
use crate::mm::layout::PAGE_SIZE;
use alloc::format;
use alloc::string::String;

/// The fault hook registered with the framework (`user::init`).
pub(super) fn on_user_fault(frame: &mut TrapFrame, fault: &UserFault) {
    if let Some(proc) = super::current_process() {
        if proc.personality.get() == super::personality::Personality::Linux && raise(&proc, frame, fault) {
            return;
        }
    }
    kill_on_fault(fault)
}

/// Queue the fault's signal for a handler; false if there is none to run.
fn raise(proc: &Process, frame: &TrapFrame, fault: &UserFault) -> bool {
    use mello_abi::linux::sigframe::{SigFields, Siginfo};
    use mello_abi::linux::signal::*;
    let sig = fault.signal as u32;
    let (code, addr) = match frame.vector {
        14 => (if fault.error & 1 != 0 { SEGV_ACCERR } else { SEGV_MAPERR }, fault.addr),
        6 => (ILL_ILLOPN, fault.rip),
        0 => (FPE_INTDIV, fault.rip),
        16 | 19 => (0, fault.rip),
        _ => (SI_KERNEL, 0),
    };
    // For the faulting thread alone (Linux's force_sig_fault).
    let mut guard = proc.signals.lock();
    let a = guard.action(sig);
    let s = guard.me();
    if a.handler == SIG_DFL || a.handler == SIG_IGN || s.blocked & bit(sig) != 0 {
        return false;
    }
    s.pending |= bit(sig);
    s.info[sig as usize - 1] = Siginfo { signo: sig as i32, errno: 0, code, fields: SigFields::Fault { addr } };
    s.fault_error = fault.error;
    s.fault_vector = frame.vector;
    drop(guard);
    crate::sched::set_current_user_work(true);
    true
}

/// Log the fault and kill the current process with its signal.
fn kill_on_fault(fault: &UserFault) -> ! {
    let status = mello_abi::signal::killed_status(fault.signal);
    let proc = super::current_process();
    let place = proc.as_deref().and_then(|p| symbolize(p, fault.rip)).map(|s| format!(" in {s}")).unwrap_or_default();
    // The stack region the loader chose (its top is randomised).
    let bottom = proc.as_ref().and_then(|p| p.space.lock().as_ref().map(|s| s.stack().start)).unwrap_or(0);
    let overflow = fault.name == "Page Fault" && bottom >= PAGE_SIZE && (bottom - PAGE_SIZE..bottom).contains(&fault.addr);
    crate::klog!(
        "FAULT",
        "pid {} killed: {}{} at rip={:#x}{} (addr={:#x}, err={:#x}) -> status {}",
        proc.as_ref().map_or(0, |p| p.pid),
        if overflow { "stack overflow: " } else { "" },
        fault.name,
        fault.rip,
        place,
        fault.addr,
        fault.error,
        status
    );
    // exit_current does not return: whatever is still alive here would
    // never be dropped (the symbol string leaked once per killed process).
    drop(place);
    drop(proc);
    super::exit_as(super::Exit::Signal { sig: fault.signal as u32, core: false });
}

/// `rip` as `symbol+0xoff` from the process's executable, if it has
/// symbols, and ` (FILE:LINE)` after it when the executable also has DWARF
/// line tables (`programs/utest/src/faults.rs:25`). Safe on the fault path:
/// every allocation is fallible (out of memory just means no name), and
/// the line lookup neither allocates nor runs more than
/// `elfload::MAX_LINE_OPS` steps, however large or hostile the file.
fn symbolize(proc: &Process, rip: u64) -> Option<String> {
    let path = try_format(format_args!("{}", proc.name.lock().as_str()))?;
    let cwd = proc.files.lock().cwd_loc();
    let elf = crate::fs::open::read_file(cwd, path.as_bytes()).ok()?;
    let (name, off) = elfload::symbolize(&elf, rip)?;
    let name = rustc_demangle::demangle(name);
    match elfload::source_line(&elf, rip) {
        Some(at) => try_format(format_args!("{name:#}+{off:#x} ({at})")),
        None => try_format(format_args!("{name:#}+{off:#x}")),
    }
}

/// `args` formatted into a string whose memory is reserved fallibly (a
/// first pass measures it); `None` when the heap cannot give it.
fn try_format(args: core::fmt::Arguments) -> Option<String> {
    struct Measure(usize);
    impl core::fmt::Write for Measure {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut len = Measure(0);
    core::fmt::write(&mut len, args).ok()?;
    let mut out = String::new();
    fallible::in_scope(|| out.try_reserve_exact(len.0)).ok()?;
    core::fmt::write(&mut out, args).ok()?; // fits: never reallocates
    Some(out)
}
