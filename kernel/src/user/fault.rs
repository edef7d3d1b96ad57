//! What the kernel says when a user program dies of a fault: one log line
//! naming the process, the exception, where it happened in the program's
//! own symbols (`in utest::faults::null_write+0x1c`, read from the
//! executable's `.symtab` when it has one) and, for a fault in the guard
//! page just below the stack, that it was a stack overflow. Then the
//! process is killed with `128 + signal`.

use super::process::Process;
use crate::arch::exceptions::UserFault;
use crate::arch::trap::TrapFrame;
use crate::mm::layout::PAGE_SIZE;
use alloc::format;
use alloc::string::String;

/// The fault hook registered with the framework (`user::init`).
pub(super) fn kill_on_fault(_frame: &mut TrapFrame, fault: &UserFault) {
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
    super::exit_current(status);
}

/// `rip` as `symbol+0xoff` from the process's executable, if it has symbols.
fn symbolize(proc: &Process, rip: u64) -> Option<String> {
    let path = proc.name.lock().clone();
    let cwd = proc.files.lock().cwd_loc();
    let elf = crate::fs::open::read_file(cwd, path.as_bytes()).ok()?;
    let (name, off) = elfload::symbolize(&elf, rip)?;
    Some(format!("{:#}+{:#x}", rustc_demangle::demangle(name), off))
}
