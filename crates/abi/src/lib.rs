//! The MelloOS system-call ABI: the one source of truth for syscall
//! numbers, errno values, signal numbers and limits, shared by the kernel and
//! every user program.
//!
//! Calling convention (x86-64): `rax` = number, arguments in `rdi, rsi, rdx,
//! r10, r8, r9`, result in `rax`. Entry by `syscall` or `int 0x80` with
//! identical semantics. A result `>= 0` is success; a negative result is
//! `-errno` using Linux's errno numbers.
#![no_std]
pub mod fs;
pub mod termios;
pub mod linux;

/// The native system calls, one row each: `number => CONSTANT, handler, argument count;`.
///
/// This list is the only place a native call is defined. It expands a
/// caller's macro with the rows, so every consumer derives what it needs
/// from the same text: [`nr`] (the numbers and names, below), the kernel's
/// dispatch `match` (`kernel/src/sys/table.rs`) and the user wrappers (which
/// use `nr`). The handler is a function of that name in the kernel's
/// `sys::handlers`. Adding a call is one row here plus its handler.
#[macro_export]
macro_rules! native_syscalls {
    ($callback:ident) => {
        $callback! {
            0 => WRITE, sys_write, 3;
            1 => EXIT, sys_exit, 1;
            2 => SLEEP, sys_sleep, 1;
            3 => IPC_SEND, sys_ipc_send, 3;
            4 => IPC_RECV, sys_ipc_recv, 3;
            5 => GETPID, sys_getpid, 0;
            6 => YIELD, sys_yield, 0;
            7 => FORK, sys_fork, 0;
            8 => WAIT, sys_wait, 2;
            9 => EXEC, sys_exec, 2;
            10 => READ, sys_read, 3;
            11 => OPEN, sys_open, 3;
            12 => CLOSE, sys_close, 1;
            13 => LSEEK, sys_lseek, 3;
            14 => STAT, sys_stat, 2;
            15 => FSTAT, sys_fstat, 2;
            16 => DUP, sys_dup, 1;
            17 => DUP2, sys_dup2, 2;
            18 => PIPE, sys_pipe, 2;
            19 => MKDIR, sys_mkdir, 2;
            20 => UNLINK, sys_unlink, 1;
            21 => RMDIR, sys_rmdir, 1;
            22 => RENAME, sys_rename, 2;
            23 => GETDENTS, sys_getdents, 3;
            24 => CHDIR, sys_chdir, 1;
            25 => GETCWD, sys_getcwd, 2;
            26 => SYMLINK, sys_symlink, 2;
            27 => READLINK, sys_readlink, 3;
            28 => LSTAT, sys_lstat, 2;
            29 => FCNTL, sys_fcntl, 3;
            30 => IOCTL, sys_ioctl, 3;
            31 => THREAD_SPAWN, sys_thread_spawn, 5;
            32 => THREAD_EXIT, sys_thread_exit, 1;
            33 => FUTEX, sys_futex, 4;
        }
    };
}

/// Derive the number constants, `COUNT`, `name` and `arg_count` of a
/// syscall table from its rows (see [`native_syscalls`]).
#[macro_export]
macro_rules! syscall_numbers {
    ($($num:literal => $name:ident, $handler:ident, $argc:literal;)*) => {
        $(
            #[doc = concat!("`", stringify!($handler), "` (", stringify!($argc), " arguments)")]
            pub const $name: usize = $num;
        )*
        /// One more than the highest number in the table.
        pub const COUNT: usize = {
            let mut max = 0;
            $(if $num + 1 > max { max = $num + 1; })*
            max
        };
        /// The call's name (`"SYS_WRITE"`), or `None` for an unused number.
        pub const fn name(number: usize) -> Option<&'static str> {
            match number {
                $($num => Some(concat!("SYS_", stringify!($name))),)*
                _ => None,
            }
        }
        /// How many argument registers the call reads.
        pub const fn arg_count(number: usize) -> Option<usize> {
            match number {
                $($num => Some($argc),)*
                _ => None,
            }
        }
        // Two rows with one number would make `name`'s match unreachable-
        // armed; this makes a duplicate a compile error instead.
        const _: () = {
            let nums = [$($num),*];
            let mut i = 0;
            while i < nums.len() {
                let mut j = i + 1;
                while j < nums.len() {
                    assert!(nums[i] != nums[j], "two syscall rows share a number");
                    j += 1;
                }
                i += 1;
            }
        };
    };
}

/// Native system-call numbers, derived from [`native_syscalls`].
pub mod nr {
    native_syscalls!(syscall_numbers);
}

/// Error numbers: Linux's values and messages (`strerror` in glibc), the
/// one list both personalities use. System calls return `-(errno as isize)`.
/// The list is written once, in `errnos!`, which makes the enum, the
/// decoder and the messages from it.
macro_rules! errnos {
    ($($name:ident = $val:literal, $msg:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        #[allow(clippy::upper_case_acronyms)]
        pub enum Errno {
            $(#[doc = $msg] $name = $val,)*
        }

        impl Errno {
            /// Every errno, in numeric order.
            pub const ALL: &'static [Errno] = &[$(Errno::$name),*];

            /// The errno with Linux number `n`, if MelloOS defines it.
            pub const fn from_raw(n: i32) -> Option<Errno> {
                match n {
                    $($val => Some(Errno::$name),)*
                    _ => None,
                }
            }

            /// Linux's message for this errno (as `strerror` prints it).
            pub const fn message(self) -> &'static str {
                match self {
                    $(Errno::$name => $msg,)*
                }
            }

            /// The symbolic name (`"ENOENT"`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Errno::$name => stringify!($name),)*
                }
            }
        }
    };
}

errnos! {
    EPERM = 1, "Operation not permitted";
    ENOENT = 2, "No such file or directory";
    ESRCH = 3, "No such process";
    EINTR = 4, "Interrupted system call";
    EIO = 5, "Input/output error";
    ENXIO = 6, "No such device or address";
    E2BIG = 7, "Argument list too long";
    ENOEXEC = 8, "Exec format error";
    EBADF = 9, "Bad file descriptor";
    ECHILD = 10, "No child processes";
    EAGAIN = 11, "Resource temporarily unavailable";
    ENOMEM = 12, "Cannot allocate memory";
    EACCES = 13, "Permission denied";
    EFAULT = 14, "Bad address";
    ENOTBLK = 15, "Block device required";
    EBUSY = 16, "Device or resource busy";
    EEXIST = 17, "File exists";
    EXDEV = 18, "Invalid cross-device link";
    ENODEV = 19, "No such device";
    ENOTDIR = 20, "Not a directory";
    EISDIR = 21, "Is a directory";
    EINVAL = 22, "Invalid argument";
    ENFILE = 23, "Too many open files in system";
    EMFILE = 24, "Too many open files";
    ENOTTY = 25, "Inappropriate ioctl for device";
    ETXTBSY = 26, "Text file busy";
    EFBIG = 27, "File too large";
    ENOSPC = 28, "No space left on device";
    ESPIPE = 29, "Illegal seek";
    EROFS = 30, "Read-only file system";
    EMLINK = 31, "Too many links";
    EPIPE = 32, "Broken pipe";
    EDOM = 33, "Numerical argument out of domain";
    ERANGE = 34, "Numerical result out of range";
    EDEADLK = 35, "Resource deadlock avoided";
    ENAMETOOLONG = 36, "File name too long";
    ENOLCK = 37, "No locks available";
    ENOSYS = 38, "Function not implemented";
    ENOTEMPTY = 39, "Directory not empty";
    ELOOP = 40, "Too many levels of symbolic links";
    ENOMSG = 42, "No message of desired type";
    ENODATA = 61, "No data available";
    ETIME = 62, "Timer expired";
    EOVERFLOW = 75, "Value too large for defined data type";
    EILSEQ = 84, "Invalid or incomplete multibyte or wide character";
    ERESTART = 85, "Interrupted system call should be restarted";
    ENOTSOCK = 88, "Socket operation on non-socket";
    EDESTADDRREQ = 89, "Destination address required";
    EMSGSIZE = 90, "Message too long";
    EPROTOTYPE = 91, "Protocol wrong type for socket";
    ENOPROTOOPT = 92, "Protocol not available";
    EPROTONOSUPPORT = 93, "Protocol not supported";
    EOPNOTSUPP = 95, "Operation not supported";
    EAFNOSUPPORT = 97, "Address family not supported by protocol";
    EADDRINUSE = 98, "Address already in use";
    EADDRNOTAVAIL = 99, "Cannot assign requested address";
    ENETDOWN = 100, "Network is down";
    ENETUNREACH = 101, "Network is unreachable";
    ECONNABORTED = 103, "Software caused connection abort";
    ECONNRESET = 104, "Connection reset by peer";
    ENOBUFS = 105, "No buffer space available";
    EISCONN = 106, "Transport endpoint is already connected";
    ENOTCONN = 107, "Transport endpoint is not connected";
    ETIMEDOUT = 110, "Connection timed out";
    ECONNREFUSED = 111, "Connection refused";
    EHOSTUNREACH = 113, "No route to host";
    EALREADY = 114, "Operation already in progress";
    EINPROGRESS = 115, "Operation now in progress";
    ECANCELED = 125, "Operation canceled";
    // Kernel-internal restart codes (Linux's include/linux/errno.h): a
    // blocking call interrupted by a signal returns one of these, and the
    // signal code on the way back to user space turns it into EINTR or a
    // restart of the call. User space never sees them.
    ERESTARTSYS = 512, "Interrupted system call (restart if SA_RESTART)";
    ERESTARTNOINTR = 513, "Interrupted system call (always restart)";
    ERESTARTNOHAND = 514, "Interrupted system call (restart if no handler ran)";
}

/// A failed kernel allocation is `ENOMEM`. (Kept here, not in the
/// kernel's `error.rs` with the other mappings, because the orphan rule
/// allows the impl only in this crate or in `fallible`.)
impl From<fallible::AllocError> for Errno {
    fn from(_: fallible::AllocError) -> Self {
        Errno::ENOMEM
    }
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
        Err(i32::try_from(-ret).ok().and_then(Errno::from_raw).unwrap_or(Errno::EINVAL))
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
    /// Most live threads beyond each process's first (Linux's `threads-max`
    /// in spirit: a bound on kernel stacks).
    pub const MAX_THREADS: usize = 512;
    /// First address above user space (lower canonical half, 128 TiB).
    pub const USER_END: usize = 0x0000_8000_0000_0000;
    /// Lowest address user mappings may use (page 0..64 KiB stays unmapped).
    pub const USER_START: usize = 0x1_0000;
}

/// Native threads: `thread_spawn(entry, stack_top, arg, tid_ptr, tls)`
/// starts a thread of the calling process at `entry` with `arg` in `rdi`
/// and `rsp = stack_top - 8` (the kernel stores a zero return address
/// there, as if `entry` had been called; `stack_top` must be 16-byte
/// aligned), sharing the address space, descriptors and signal actions;
/// it returns the new thread's id. A non-null `tid_ptr` (a 4-byte aligned
/// `u32`) receives the tid before the thread runs and is zeroed and
/// futex-woken when the thread ends (Linux's `CLONE_CHILD_CLEARTID`: how
/// a join waits). `tls` is the thread's FS base (0: the caller's).
/// `thread_exit(code)` ends the calling thread only; the last thread's end
/// ends the process (`exit` ends every thread at once).
pub mod thread {
    /// The alignment `thread_spawn` requires of `stack_top` (`EINVAL`
    /// otherwise): the System V ABI's at a call.
    pub const STACK_ALIGN: usize = 16;
}

/// Native `futex(addr, op, val, timeout_ns)` operations. `addr` is a
/// 4-byte aligned `u32` shared by the process's threads.
pub mod futex {
    /// Sleep while `*addr == val`, until a `WAKE` on `addr` or `timeout_ns`
    /// nanoseconds (0: no timeout; rounded up to scheduler ticks). 0 when
    /// woken, `EAGAIN` if the word differs, `ETIMEDOUT`.
    pub const WAIT: usize = 0;
    /// Wake up to `val` waiters on `addr`; returns how many were woken.
    pub const WAKE: usize = 1;
}

/// `wait`'s pid argument meaning "any child".
pub const WAIT_ANY: isize = -1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_round_trip() {
        for &e in Errno::ALL {
            assert_eq!(Errno::from_ret(e.as_ret()), Err(e));
            assert_eq!(Errno::from_raw(e as i32), Some(e));
        }
        assert!(Errno::ALL.windows(2).all(|w| (w[0] as i32) < (w[1] as i32)), "list in numeric order");
        assert_eq!(Errno::from_ret(-41), Err(Errno::EINVAL), "41 is unused in Linux");
        assert_eq!(Errno::from_ret(5), Ok(5));
    }

    #[test]
    fn native_table() {
        assert_eq!((nr::WRITE, nr::EXEC, nr::READ, nr::FCNTL, nr::IOCTL, nr::COUNT), (0, 9, 10, 29, 30, 34));
        assert_eq!((nr::THREAD_SPAWN, nr::THREAD_EXIT, nr::FUTEX), (31, 32, 33));
        assert_eq!(nr::arg_count(nr::THREAD_SPAWN), Some(5));
        assert_eq!(nr::name(nr::FORK), Some("SYS_FORK"));
        assert_eq!(nr::name(nr::COUNT), None);
        assert_eq!(nr::arg_count(nr::WAIT), Some(2));
        assert!((0..nr::COUNT).all(|n| nr::name(n).is_some()), "native numbers are dense");
    }

    #[test]
    fn linux_values() {
        assert_eq!(Errno::EFAULT.as_ret(), -14);
        assert_eq!(Errno::ENOSYS.as_ret(), -38);
        assert_eq!(Errno::ENOTEMPTY as i32, 39);
        assert_eq!(Errno::ELOOP as i32, 40);
        assert_eq!(Errno::ENOENT.message(), "No such file or directory");
        assert_eq!(Errno::ENAMETOOLONG.name(), "ENAMETOOLONG");
        assert_eq!(signal::killed_status(signal::SIGSEGV), 139);
        assert_eq!(signal::killed_status(signal::SIGILL), 132);
        assert_eq!(signal::killed_status(signal::SIGFPE), 136);
    }
}
