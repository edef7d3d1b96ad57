//! The Linux x86-64 personality's ABI: system-call numbers (one row each,
//! like [`native_syscalls`](crate::native_syscalls)), the structures the
//! implemented calls copy in and out ([`types`]), and Linux's constants
//! (signals, in [`signal`]; auxiliary vector, mmap, clocks, arch_prctl, getrandom).
//!
//! Every number and layout is Linux's for x86-64
//! (`arch/x86/entry/syscalls/syscall_64.tbl`, `include/uapi/...`); the
//! errno values are the crate's [`Errno`](crate::Errno), which already are
//! Linux's. A call without a row is unknown to MelloOS: the kernel returns
//! `-ENOSYS` for it and logs the number once.

pub mod fs_types;
pub mod process;
pub mod sigframe;
pub mod signal;
pub mod types;

pub use fs_types::{PollFd, Rlimit, Statfs, Statx, StatxTime, Sysinfo};
pub use sigframe::{Siginfo, StackT};
pub use types::{Iovec, KernelSigaction, Timespec, Timeval, Utsname};

/// The Linux system calls MelloOS implements, one row each:
/// `number => CONSTANT, handler, argument count;` (Linux's x86-64 number and
/// name). It expands a caller's macro with the rows: [`nr`] (numbers and
/// names) and the kernel's Linux dispatch `match`
/// (`kernel/src/sys/linux_table.rs`, handlers in `sys::linux`). Adding a
/// call is one row here plus its handler.
#[macro_export]
macro_rules! linux_syscalls {
    ($callback:ident) => {
        $callback! {
            0 => READ, linux_read, 3;
            1 => WRITE, linux_write, 3;
            2 => OPEN, linux_open, 3;
            3 => CLOSE, linux_close, 1;
            4 => STAT, linux_stat, 2;
            5 => FSTAT, linux_fstat, 2;
            6 => LSTAT, linux_lstat, 2;
            7 => POLL, linux_poll, 3;
            8 => LSEEK, linux_lseek, 3;
            9 => MMAP, linux_mmap, 6;
            10 => MPROTECT, linux_mprotect, 3;
            11 => MUNMAP, linux_munmap, 2;
            12 => BRK, linux_brk, 1;
            13 => RT_SIGACTION, linux_rt_sigaction, 4;
            14 => RT_SIGPROCMASK, linux_rt_sigprocmask, 4;
            15 => RT_SIGRETURN, linux_rt_sigreturn, 0;
            16 => IOCTL, linux_ioctl, 3;
            17 => PREAD64, linux_pread64, 4;
            18 => PWRITE64, linux_pwrite64, 4;
            19 => READV, linux_readv, 3;
            20 => WRITEV, linux_writev, 3;
            21 => ACCESS, linux_access, 2;
            22 => PIPE, linux_pipe, 1;
            23 => SELECT, linux_select, 5;
            24 => SCHED_YIELD, linux_sched_yield, 0;
            25 => MREMAP, linux_mremap, 5;
            28 => MADVISE, linux_madvise, 3;
            32 => DUP, linux_dup, 1;
            33 => DUP2, linux_dup2, 2;
            34 => PAUSE, linux_pause, 0;
            35 => NANOSLEEP, linux_nanosleep, 2;
            39 => GETPID, linux_getpid, 0;
            40 => SENDFILE, linux_sendfile, 4;
            56 => CLONE, linux_clone, 5;
            57 => FORK, linux_fork, 0;
            58 => VFORK, linux_vfork, 0;
            59 => EXECVE, linux_execve, 3;
            60 => EXIT, linux_exit, 1;
            61 => WAIT4, linux_wait4, 4;
            62 => KILL, linux_kill, 2;
            63 => UNAME, linux_uname, 1;
            72 => FCNTL, linux_fcntl, 3;
            74 => FSYNC, linux_fsync, 1;
            75 => FDATASYNC, linux_fdatasync, 1;
            76 => TRUNCATE, linux_truncate, 2;
            77 => FTRUNCATE, linux_ftruncate, 2;
            79 => GETCWD, linux_getcwd, 2;
            80 => CHDIR, linux_chdir, 1;
            81 => FCHDIR, linux_fchdir, 1;
            82 => RENAME, linux_rename, 2;
            83 => MKDIR, linux_mkdir, 2;
            84 => RMDIR, linux_rmdir, 1;
            85 => CREAT, linux_creat, 2;
            86 => LINK, linux_link, 2;
            87 => UNLINK, linux_unlink, 1;
            88 => SYMLINK, linux_symlink, 2;
            89 => READLINK, linux_readlink, 3;
            90 => CHMOD, linux_chmod, 2;
            91 => FCHMOD, linux_fchmod, 2;
            92 => CHOWN, linux_chown, 3;
            93 => FCHOWN, linux_fchown, 3;
            94 => LCHOWN, linux_lchown, 3;
            95 => UMASK, linux_umask, 1;
            96 => GETTIMEOFDAY, linux_gettimeofday, 2;
            97 => GETRLIMIT, linux_getrlimit, 2;
            99 => SYSINFO, linux_sysinfo, 1;
            102 => GETUID, linux_getuid, 0;
            103 => SYSLOG, linux_syslog, 3;
            104 => GETGID, linux_getgid, 0;
            107 => GETEUID, linux_geteuid, 0;
            108 => GETEGID, linux_getegid, 0;
            109 => SETPGID, linux_setpgid, 2;
            110 => GETPPID, linux_getppid, 0;
            111 => GETPGRP, linux_getpgrp, 0;
            112 => SETSID, linux_setsid, 0;
            115 => GETGROUPS, linux_getgroups, 2;
            121 => GETPGID, linux_getpgid, 1;
            124 => GETSID, linux_getsid, 1;
            127 => RT_SIGPENDING, linux_rt_sigpending, 2;
            128 => RT_SIGTIMEDWAIT, linux_rt_sigtimedwait, 4;
            130 => RT_SIGSUSPEND, linux_rt_sigsuspend, 2;
            131 => SIGALTSTACK, linux_sigaltstack, 2;
            133 => MKNOD, linux_mknod, 3;
            137 => STATFS, linux_statfs, 2;
            138 => FSTATFS, linux_fstatfs, 2;
            158 => ARCH_PRCTL, linux_arch_prctl, 2;
            160 => SETRLIMIT, linux_setrlimit, 2;
            162 => SYNC, linux_sync, 0;
            165 => MOUNT, linux_mount, 5;
            166 => UMOUNT2, linux_umount2, 2;
            169 => REBOOT, linux_reboot, 4;
            186 => GETTID, linux_gettid, 0;
            200 => TKILL, linux_tkill, 2;
            201 => TIME, linux_time, 1;
            202 => FUTEX, linux_futex, 6;
            203 => SCHED_SETAFFINITY, linux_sched_setaffinity, 3;
            204 => SCHED_GETAFFINITY, linux_sched_getaffinity, 3;
            217 => GETDENTS64, linux_getdents64, 3;
            218 => SET_TID_ADDRESS, linux_set_tid_address, 1;
            228 => CLOCK_GETTIME, linux_clock_gettime, 2;
            229 => CLOCK_GETRES, linux_clock_getres, 2;
            230 => CLOCK_NANOSLEEP, linux_clock_nanosleep, 4;
            231 => EXIT_GROUP, linux_exit_group, 1;
            234 => TGKILL, linux_tgkill, 3;
            247 => WAITID, linux_waitid, 5;
            257 => OPENAT, linux_openat, 4;
            258 => MKDIRAT, linux_mkdirat, 3;
            259 => MKNODAT, linux_mknodat, 4;
            260 => FCHOWNAT, linux_fchownat, 5;
            262 => NEWFSTATAT, linux_newfstatat, 4;
            263 => UNLINKAT, linux_unlinkat, 3;
            264 => RENAMEAT, linux_renameat, 4;
            265 => LINKAT, linux_linkat, 5;
            266 => SYMLINKAT, linux_symlinkat, 3;
            267 => READLINKAT, linux_readlinkat, 4;
            268 => FCHMODAT, linux_fchmodat, 3;
            269 => FACCESSAT, linux_faccessat, 3;
            270 => PSELECT6, linux_pselect6, 6;
            271 => PPOLL, linux_ppoll, 5;
            280 => UTIMENSAT, linux_utimensat, 4;
            292 => DUP3, linux_dup3, 3;
            293 => PIPE2, linux_pipe2, 2;
            295 => PREADV, linux_preadv, 5;
            296 => PWRITEV, linux_pwritev, 5;
            302 => PRLIMIT64, linux_prlimit64, 4;
            306 => SYNCFS, linux_syncfs, 1;
            309 => GETCPU, linux_getcpu, 3;
            316 => RENAMEAT2, linux_renameat2, 5;
            318 => GETRANDOM, linux_getrandom, 3;
            332 => STATX, linux_statx, 5;
            439 => FACCESSAT2, linux_faccessat2, 4;
        }
    };
}

/// Linux x86-64 system-call numbers of the implemented calls (derived from
/// [`linux_syscalls`]): `nr::WRITEV`, `nr::name(20)`, `nr::COUNT`.
pub mod nr {
    use crate::syscall_numbers;
    crate::linux_syscalls!(syscall_numbers);
}

/// Size of the kernel's "logged once" bitmap of unknown Linux calls: each
/// number below it is logged the first time it is used; all numbers at or
/// above it (Linux has none below 548 on x86-64 but x32's) share one slot.
pub const MAX_NR: usize = 512;

/// Auxiliary-vector types (`include/uapi/linux/auxvec.h`, x86's additions).
pub mod auxv {
    pub const AT_NULL: u64 = 0;
    pub const AT_IGNORE: u64 = 1;
    pub const AT_EXECFD: u64 = 2;
    pub const AT_PHDR: u64 = 3;
    pub const AT_PHENT: u64 = 4;
    pub const AT_PHNUM: u64 = 5;
    pub const AT_PAGESZ: u64 = 6;
    pub const AT_BASE: u64 = 7;
    pub const AT_FLAGS: u64 = 8;
    pub const AT_ENTRY: u64 = 9;
    pub const AT_NOTELF: u64 = 10;
    pub const AT_UID: u64 = 11;
    pub const AT_EUID: u64 = 12;
    pub const AT_GID: u64 = 13;
    pub const AT_EGID: u64 = 14;
    pub const AT_PLATFORM: u64 = 15;
    pub const AT_HWCAP: u64 = 16;
    pub const AT_CLKTCK: u64 = 17;
    pub const AT_SECURE: u64 = 23;
    pub const AT_BASE_PLATFORM: u64 = 24;
    pub const AT_RANDOM: u64 = 25;
    pub const AT_HWCAP2: u64 = 26;
    pub const AT_EXECFN: u64 = 31;
    pub const AT_SYSINFO_EHDR: u64 = 33;
    pub const AT_MINSIGSTKSZ: u64 = 51;
    /// `AT_CLKTCK`: Linux's `USER_HZ` (`times()` and `/proc` ticks).
    pub const CLOCKS_PER_SEC: u64 = 100;
    /// Bytes of random data `AT_RANDOM` points at.
    pub const RANDOM_BYTES: usize = 16;
    /// `AT_PLATFORM`'s string on x86-64.
    pub const PLATFORM: &str = "x86_64";
}

/// `mmap`, `mprotect` and `munmap` flags (`asm-generic/mman-common.h`, x86).
pub mod mman {
    pub const PROT_NONE: u64 = 0;
    pub const PROT_READ: u64 = 1;
    pub const PROT_WRITE: u64 = 2;
    pub const PROT_EXEC: u64 = 4;
    pub const PROT_GROWSDOWN: u64 = 0x0100_0000;
    pub const PROT_GROWSUP: u64 = 0x0200_0000;
    pub const MAP_SHARED: u64 = 0x01;
    pub const MAP_PRIVATE: u64 = 0x02;
    pub const MAP_SHARED_VALIDATE: u64 = 0x03;
    pub const MAP_TYPE: u64 = 0x0f;
    pub const MAP_FIXED: u64 = 0x10;
    pub const MAP_ANONYMOUS: u64 = 0x20;
    pub const MAP_32BIT: u64 = 0x40;
    pub const MAP_GROWSDOWN: u64 = 0x0100;
    pub const MAP_DENYWRITE: u64 = 0x0800;
    pub const MAP_EXECUTABLE: u64 = 0x1000;
    pub const MAP_LOCKED: u64 = 0x2000;
    pub const MAP_NORESERVE: u64 = 0x4000;
    pub const MAP_POPULATE: u64 = 0x8000;
    pub const MAP_NONBLOCK: u64 = 0x1_0000;
    pub const MAP_STACK: u64 = 0x2_0000;
    pub const MAP_HUGETLB: u64 = 0x4_0000;
    pub const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
    /// What `mmap` returns on failure, as seen from C (`(void *)-1`).
    pub const MAP_FAILED: u64 = u64::MAX;
    pub const MREMAP_MAYMOVE: u64 = 1;
    pub const MREMAP_FIXED: u64 = 2;
    pub const MREMAP_DONTUNMAP: u64 = 4;
    pub const MADV_NORMAL: u64 = 0;
    pub const MADV_RANDOM: u64 = 1;
    pub const MADV_SEQUENTIAL: u64 = 2;
    pub const MADV_WILLNEED: u64 = 3;
    pub const MADV_DONTNEED: u64 = 4;
    pub const MADV_FREE: u64 = 8;
    pub const MADV_HUGEPAGE: u64 = 14;
    pub const MADV_NOHUGEPAGE: u64 = 15;
    pub const MADV_DONTDUMP: u64 = 16;
    pub const MADV_DODUMP: u64 = 17;
}

/// `arch_prctl` codes (`arch/x86/include/uapi/asm/prctl.h`).
pub mod arch_prctl {
    pub const ARCH_SET_GS: u64 = 0x1001;
    pub const ARCH_SET_FS: u64 = 0x1002;
    pub const ARCH_GET_FS: u64 = 0x1003;
    pub const ARCH_GET_GS: u64 = 0x1004;
}

/// Clock ids (`include/uapi/linux/time.h`) and `clock_nanosleep` flags.
pub mod clock {
    pub const CLOCK_REALTIME: u64 = 0;
    pub const CLOCK_MONOTONIC: u64 = 1;
    pub const CLOCK_PROCESS_CPUTIME_ID: u64 = 2;
    pub const CLOCK_THREAD_CPUTIME_ID: u64 = 3;
    pub const CLOCK_MONOTONIC_RAW: u64 = 4;
    pub const CLOCK_REALTIME_COARSE: u64 = 5;
    pub const CLOCK_MONOTONIC_COARSE: u64 = 6;
    pub const CLOCK_BOOTTIME: u64 = 7;
    pub const TIMER_ABSTIME: u64 = 1;
    pub const NSEC_PER_SEC: i64 = 1_000_000_000;
}

/// `getrandom` flags (`include/uapi/linux/random.h`).
pub mod random {
    pub const GRND_NONBLOCK: u64 = 1;
    pub const GRND_RANDOM: u64 = 2;
    pub const GRND_INSECURE: u64 = 4;
    /// Most bytes one call returns: Linux's cap for one read of the
    /// random pool (`MAX_RW_COUNT` is larger, but `getrandom` may return
    /// fewer bytes than asked for any request above 256).
    pub const MAX_PER_CALL: usize = 32 * 1024 * 1024 - 4096;
}

/// What `uname` reports (see the README's "Personalities": no oracle test
/// needs `sysname` to be "Linux", so it names MelloOS; the release has
/// Linux's form so version checks in libcs parse it).
pub mod uname {
    pub const SYSNAME: &str = "MelloOS";
    /// Linux's default host and domain name before `sethostname`.
    pub const NODENAME: &str = "(none)";
    pub const RELEASE: &str = "6.1.0-mellos";
    pub const VERSION: &str = "#1 SMP MelloOS";
    pub const MACHINE: &str = "x86_64";
    pub const DOMAINNAME: &str = "(none)";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_numbers() {
        assert_eq!((nr::WRITE, nr::WRITEV, nr::EXIT_GROUP, nr::ARCH_PRCTL), (1, 20, 231, 158));
        assert_eq!((nr::MMAP, nr::BRK, nr::SET_TID_ADDRESS, nr::GETRANDOM), (9, 12, 218, 318));
        assert_eq!(nr::name(nr::CLOCK_GETTIME), Some("SYS_CLOCK_GETTIME"));
        assert_eq!(nr::name(0), Some("SYS_READ"));
        assert_eq!((nr::OPENAT, nr::NEWFSTATAT, nr::STATX, nr::FACCESSAT2), (257, 262, 332, 439));
        assert_eq!(nr::name(1000), None);
        assert_eq!(nr::arg_count(nr::MMAP), Some(6));
        const { assert!(nr::COUNT <= MAX_NR) };
    }

    #[test]
    fn signal_and_auxv_values() {
        assert_eq!((signal::SIGCHLD, signal::SIGSTOP, signal::SIGSYS), (17, 19, 31));
        assert_eq!(signal::bit(signal::SIGKILL), 1 << 8);
        assert_eq!(signal::UNBLOCKABLE, 0x0004_0100);
        assert_eq!((auxv::AT_RANDOM, auxv::AT_EXECFN, auxv::AT_SECURE), (25, 31, 23));
        assert_eq!((mman::MAP_ANONYMOUS, mman::MAP_FIXED_NOREPLACE), (0x20, 0x10_0000));
        assert_eq!(arch_prctl::ARCH_SET_FS, 0x1002);
    }
}
