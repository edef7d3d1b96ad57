//! The MelloOS system-call ABI: the one source of truth for syscall
//! numbers, errno values, signal numbers and limits, shared by the kernel and
//! every user program.
//!
//! Calling convention (x86-64): `rax` = number, arguments in `rdi, rsi, rdx,
//! r10, r8, r9`, result in `rax`. Entry by `syscall` or `int 0x80` with
//! identical semantics. A result `>= 0` is success; a negative result is
//! `-errno` using Linux's errno numbers.
#![no_std]

/// System-call numbers.
pub mod nr {
    pub const WRITE: usize = 0;
    pub const EXIT: usize = 1;
    pub const SLEEP: usize = 2;
    pub const IPC_SEND: usize = 3;
    pub const IPC_RECV: usize = 4;
    pub const GETPID: usize = 5;
    pub const YIELD: usize = 6;
    pub const FORK: usize = 7;
    pub const WAIT: usize = 8;
    pub const EXEC: usize = 9;
    /// Number of system calls; valid numbers are `0..COUNT`.
    pub const COUNT: usize = 10;

    /// Human-readable names, indexed by number.
    pub const NAMES: [&str; COUNT] = [
        "SYS_WRITE", "SYS_EXIT", "SYS_SLEEP", "SYS_IPC_SEND", "SYS_IPC_RECV",
        "SYS_GETPID", "SYS_YIELD", "SYS_FORK", "SYS_WAIT", "SYS_EXEC",
    ];
}

/// Error numbers (Linux's values). System calls return `-(errno as isize)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Errno {
    ENOENT = 2,
    E2BIG = 7,
    ENOEXEC = 8,
    EBADF = 9,
    ECHILD = 10,
    EAGAIN = 11,
    ENOMEM = 12,
    EFAULT = 14,
    EINVAL = 22,
    ENOSYS = 38,
}

impl Errno {
    /// The value a system call returns for this error.
    pub const fn as_ret(self) -> isize {
        -(self as i32 as isize)
    }

    /// Decode a raw system-call result: `Ok(value)` or `Err(errno)`.
    /// Negative values that are not a known errno decode as `EINVAL`.
    pub fn from_ret(ret: isize) -> Result<usize, Errno> {
        if ret >= 0 {
            return Ok(ret as usize);
        }
        Err(match -ret {
            2 => Errno::ENOENT,
            7 => Errno::E2BIG,
            8 => Errno::ENOEXEC,
            9 => Errno::EBADF,
            10 => Errno::ECHILD,
            11 => Errno::EAGAIN,
            12 => Errno::ENOMEM,
            14 => Errno::EFAULT,
            38 => Errno::ENOSYS,
            _ => Errno::EINVAL,
        })
    }
}

/// Linux signal numbers used in fault-kill statuses (`128 + signal`).
pub mod signal {
    pub const SIGILL: i32 = 4;
    pub const SIGFPE: i32 = 8;
    pub const SIGSEGV: i32 = 11;

    /// The wait status of a process killed by `sig`.
    pub const fn killed_status(sig: i32) -> i32 {
        128 + sig
    }
}

/// Limits of the ABI.
pub mod limits {
    /// Number of IPC ports (valid ids `0..NUM_PORTS`).
    pub const NUM_PORTS: usize = 256;
    /// Messages a port holds before `ipc_send` returns `EAGAIN`.
    pub const PORT_QUEUE_LEN: usize = 16;
    /// Largest IPC message in bytes.
    pub const MAX_MSG: usize = 4096;
    /// Longest path accepted by `exec` (including the NUL).
    pub const PATH_MAX: usize = 256;
    /// Total bytes of argv strings (with NULs) accepted by `exec`.
    pub const ARG_MAX: usize = 16 * 1024;
    /// Most argv entries accepted by `exec`.
    pub const ARGV_MAX: usize = 64;
    /// Largest single `write`; longer writes fail with `EINVAL`.
    pub const WRITE_MAX: usize = 64 * 1024;
    /// Most live processes (including zombies).
    pub const MAX_PROCS: usize = 64;
    /// First address above user space (lower canonical half, 128 TiB).
    pub const USER_END: usize = 0x0000_8000_0000_0000;
    /// Lowest address user mappings may use (page 0..64 KiB stays unmapped).
    pub const USER_START: usize = 0x1_0000;
}

/// `wait`'s pid argument meaning "any child".
pub const WAIT_ANY: isize = -1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_round_trip() {
        for e in [
            Errno::ENOENT, Errno::E2BIG, Errno::ENOEXEC, Errno::EBADF, Errno::ECHILD,
            Errno::EAGAIN, Errno::ENOMEM, Errno::EFAULT, Errno::EINVAL, Errno::ENOSYS,
        ] {
            assert_eq!(Errno::from_ret(e.as_ret()), Err(e));
        }
        assert_eq!(Errno::from_ret(5), Ok(5));
    }

    #[test]
    fn linux_values() {
        assert_eq!(Errno::EFAULT.as_ret(), -14);
        assert_eq!(Errno::ENOSYS.as_ret(), -38);
        assert_eq!(signal::killed_status(signal::SIGSEGV), 139);
        assert_eq!(signal::killed_status(signal::SIGILL), 132);
        assert_eq!(signal::killed_status(signal::SIGFPE), 136);
    }
}
