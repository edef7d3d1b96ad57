//! System calls: the dispatch tables of both personalities and the IPC
//! subsystem.
//!
//! Both entry paths (`syscall` and `int 0x80`) arrive in [`dispatch`] with
//! the user's registers in a trap frame: number in `rax`, arguments in
//! `rdi, rsi, rdx, r10, r8, r9`, result back in `rax` (negative errno on
//! failure). [`dispatch`] reads the current process's personality (its
//! copy in the running task, one byte: `user::personality`) and runs the native table
//! (`table.rs`, generated from `mello-abi`'s `native_syscalls!`) or the Linux
//! one (`linux_table.rs`, from `linux_syscalls!`; handlers in `linux*.rs`).

#![forbid(unsafe_code)]

pub mod handlers;
pub mod linux;
mod linux_affinity;
mod linux_fd;
mod linux_fs;
mod linux_fs_stat;
mod linux_mm;
mod linux_mount;
mod linux_poll;
pub mod linux_random;
mod linux_proc;
pub mod linux_signal;
mod linux_sys;
mod linux_table;
mod linux_time;
pub mod port;
mod table;

use crate::arch::trap::TrapFrame;
use crate::error::{encode, Errno};
use crate::metrics::METRICS;
use core::sync::atomic::Ordering;
use crate::user::personality::Personality;
use mello_abi::nr;

/// The arguments of one system call (the framework's view of the saved
/// registers, read without copying).
pub type Args = crate::arch::trap::SyscallArgs;

/// Argument accessors by position, as the handlers use them.
pub trait ArgRegs {
    fn a0(&self) -> usize;
    fn a1(&self) -> usize;
    fn a2(&self) -> usize;
}

impl ArgRegs for Args {
    #[inline(always)]
    fn a0(&self) -> usize {
        self.get(0) as usize
    }
    #[inline(always)]
    fn a1(&self) -> usize {
        self.get(1) as usize
    }
    #[inline(always)]
    fn a2(&self) -> usize {
        self.get(2) as usize
    }
}

/// Install the `int 0x80` entry and bring up the IPC subsystem (ports are
/// static; nothing to allocate).
pub fn init() {
    crate::arch::syscall::set_dispatcher(dispatch);
    crate::arch::trap::register(crate::arch::idt::VECTOR_SYSCALL, int80);
    crate::klog!("IPC", "Initializing IPC subsystem... ({} ports, {}-message queues)",
        mello_abi::limits::NUM_PORTS, mello_abi::limits::PORT_QUEUE_LEN);
}

/// `int 0x80` arrives through an interrupt gate (interrupts off); system
/// calls run with interrupts on, as they do through `syscall`.
fn int80(frame: &mut TrapFrame) {
    crate::arch::irq::enable();
    dispatch(frame);
    crate::arch::irq::disable();
}

/// Run the system call described by `frame` and store its result in `rax`.
pub fn dispatch(frame: &mut TrapFrame) {
    if crate::user::personality::current() == Personality::Linux {
        return linux::dispatch(frame);
    }
    let number = frame.rax as usize;
    crate::kdebug!("SYSCALL", "[cpu{} pid={} rip={:#x}] {} ({})", crate::arch::percpu::cpu_id(),
        crate::user::current_pid().unwrap_or(0), frame.rip, nr::name(number).unwrap_or("?"), number);
    let result = match table::native(number, Args::of(frame)) {
        Some(result) => {
            METRICS.syscall_count[number].fetch_add(1, Ordering::Relaxed);
            result
        }
        None => Err(Errno::ENOSYS),
    };
    if result.is_err() {
        // An interrupted wait restarts (native programs have no handlers).
        crate::user::note_restart(number as u64, &result);
    }
    // After a successful exec the frame describes the new program, whose
    // rax starts at 0: exactly what `Ok(0)` stores.
    frame.rax = encode(result);
}
