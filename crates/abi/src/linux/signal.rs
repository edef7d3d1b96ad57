//! Linux's signal numbers (x86-64; `include/uapi/asm-generic/signal.h`):
//! the signals, `sigset_t` bits and size, `rt_sigprocmask`'s `how`, handler
//! values, `sa_flags`, `si_code` values and `sigaltstack` flags.
//!
//! Invariants: signals are numbered 1..=[`NSIG`]; signal `sig`'s bit in a
//! `sigset_t` is `1 << (sig - 1)` ([`bit`]); [`UNBLOCKABLE`] (SIGKILL and
//! SIGSTOP) can be neither caught nor blocked. Constants only: no state,
//! no lock.

pub const SIGHUP: u32 = 1;
pub const SIGINT: u32 = 2;
pub const SIGQUIT: u32 = 3;
pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGABRT: u32 = 6;
pub const SIGBUS: u32 = 7;
pub const SIGFPE: u32 = 8;
pub const SIGKILL: u32 = 9;
pub const SIGUSR1: u32 = 10;
pub const SIGSEGV: u32 = 11;
pub const SIGUSR2: u32 = 12;
pub const SIGPIPE: u32 = 13;
pub const SIGALRM: u32 = 14;
pub const SIGTERM: u32 = 15;
pub const SIGSTKFLT: u32 = 16;
pub const SIGCHLD: u32 = 17;
pub const SIGCONT: u32 = 18;
pub const SIGSTOP: u32 = 19;
pub const SIGTSTP: u32 = 20;
pub const SIGTTIN: u32 = 21;
pub const SIGTTOU: u32 = 22;
pub const SIGURG: u32 = 23;
pub const SIGXCPU: u32 = 24;
pub const SIGXFSZ: u32 = 25;
pub const SIGVTALRM: u32 = 26;
pub const SIGPROF: u32 = 27;
pub const SIGWINCH: u32 = 28;
pub const SIGIO: u32 = 29;
pub const SIGPWR: u32 = 30;
pub const SIGSYS: u32 = 31;
/// First real-time signal (the kernel's; libcs reserve a few).
pub const SIGRTMIN: u32 = 32;
/// Last signal number; signals are 1..=NSIG.
pub const NSIG: u32 = 64;
/// Bytes of a kernel `sigset_t` (the `sigsetsize` argument).
pub const SIGSET_SIZE: usize = 8;

/// `rt_sigprocmask`'s `how`.
pub const SIG_BLOCK: u32 = 0;
pub const SIG_UNBLOCK: u32 = 1;
pub const SIG_SETMASK: u32 = 2;

/// Handler values.
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;

/// `sa_flags` bits.
pub const SA_NOCLDSTOP: u64 = 0x0000_0001;
pub const SA_NOCLDWAIT: u64 = 0x0000_0002;
pub const SA_SIGINFO: u64 = 0x0000_0004;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;

/// The mask bit of signal `sig` (1..=NSIG) in a `sigset_t`.
pub const fn bit(sig: u32) -> u64 {
    1 << (sig - 1)
}

/// `si_code` values (`include/uapi/asm-generic/siginfo.h`).
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_QUEUE: i32 = -1;
pub const SI_TIMER: i32 = -2;
pub const SI_TKILL: i32 = -6;
/// SIGCHLD codes.
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_TRAPPED: i32 = 4;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;
/// SIGSEGV codes.
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
/// SIGILL, SIGFPE, SIGBUS codes used for faults.
pub const ILL_ILLOPN: i32 = 2;
pub const FPE_INTDIV: i32 = 1;
pub const BUS_ADRERR: i32 = 2;

/// `sigaltstack` flags and sizes.
pub const SS_ONSTACK: u32 = 1;
pub const SS_DISABLE: u32 = 2;
pub const SS_AUTODISARM: u32 = 1 << 31;
pub const MINSIGSTKSZ: u64 = 2048;

/// Signals whose action and mask cannot be changed (Linux's
/// `sig_kernel_only`): SIGKILL and SIGSTOP.
pub const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);
