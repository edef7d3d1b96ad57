//! System calls: the dispatch table and the IPC subsystem.
//!
//! Both entry paths (`syscall` and `int 0x80`) arrive in [`dispatch`] with
//! the user's registers in a trap frame: number in `rax`, arguments in
//! `rdi, rsi, rdx, r10, r8, r9`, result back in `rax` (negative errno on
//! failure). One table maps numbers to handlers; the numbers come from the
//! shared `mello-abi` crate.

pub mod handlers;
pub mod port;

use crate::arch::trap::TrapFrame;
use crate::error::{encode, Errno, SysResult};
use crate::metrics::METRICS;
use core::sync::atomic::Ordering;
use mello_abi::nr;

/// The arguments of one system call: a view of the caller's saved
/// registers (`rdi, rsi, rdx, r10, r8, r9`), read without copying.
#[repr(transparent)]
pub struct Args(TrapFrame);

impl Args {
    fn of(frame: &TrapFrame) -> &Args {
        // SAFETY: `Args` is a transparent wrapper around `TrapFrame`.
        unsafe { &*(frame as *const TrapFrame as *const Args) }
    }
    pub fn a0(&self) -> usize {
        self.0.rdi as usize
    }
    pub fn a1(&self) -> usize {
        self.0.rsi as usize
    }
    pub fn a2(&self) -> usize {
        self.0.rdx as usize
    }
}

type Handler = fn(&Args) -> SysResult;

/// The dispatch table, indexed by system-call number.
static TABLE: [Handler; nr::COUNT] = [
    handlers::sys_write,    // 0
    handlers::sys_exit,     // 1
    handlers::sys_sleep,    // 2
    handlers::sys_ipc_send, // 3
    handlers::sys_ipc_recv, // 4
    handlers::sys_getpid,   // 5
    handlers::sys_yield,    // 6
    handlers::sys_fork,     // 7
    handlers::sys_wait,     // 8
    handlers::sys_exec,     // 9
];

/// Install the `int 0x80` entry and bring up the IPC subsystem (ports are
/// static; nothing to allocate).
pub fn init() {
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
    let number = frame.rax as usize;
    let result = match TABLE.get(number) {
        Some(handler) => {
            METRICS.syscall_count[number].fetch_add(1, Ordering::Relaxed);
            crate::kdebug!("SYSCALL", "[cpu{} pid={} rip={:#x}] {} ({})", crate::arch::percpu::cpu_id(),
                crate::user::current_pid().unwrap_or(0), frame.rip, nr::NAMES[number], number);
            handler(Args::of(frame))
        }
        None => Err(Errno::ENOSYS),
    };
    // After a successful exec the frame describes the new program, whose
    // rax starts at 0: exactly what `Ok(0)` stores.
    frame.rax = encode(result);
}
