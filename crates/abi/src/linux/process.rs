//! Linux x86-64 process constants: `clone` flags, `wait4`/`waitid`
//! options and id types, the wait-status encoding, `futex` operations and
//! `reboot` magic numbers (`include/uapi/linux/{sched,wait,futex,reboot}.h`).

/// `clone` flags (the low byte is the exit signal sent to the parent).
pub mod clone {
    pub const CSIGNAL: u64 = 0x0000_00ff;
    pub const CLONE_VM: u64 = 0x0000_0100;
    pub const CLONE_FS: u64 = 0x0000_0200;
    pub const CLONE_FILES: u64 = 0x0000_0400;
    pub const CLONE_SIGHAND: u64 = 0x0000_0800;
    pub const CLONE_PIDFD: u64 = 0x0000_1000;
    pub const CLONE_PTRACE: u64 = 0x0000_2000;
    pub const CLONE_VFORK: u64 = 0x0000_4000;
    pub const CLONE_PARENT: u64 = 0x0000_8000;
    pub const CLONE_THREAD: u64 = 0x0001_0000;
    pub const CLONE_NEWNS: u64 = 0x0002_0000;
    pub const CLONE_SYSVSEM: u64 = 0x0004_0000;
    pub const CLONE_SETTLS: u64 = 0x0008_0000;
    pub const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
    pub const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
    pub const CLONE_DETACHED: u64 = 0x0040_0000;
    pub const CLONE_UNTRACED: u64 = 0x0080_0000;
    pub const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
}

/// `wait4`/`waitid` options and `waitid`'s id types.
pub mod wait {
    pub const WNOHANG: u32 = 0x0000_0001;
    pub const WUNTRACED: u32 = 0x0000_0002;
    pub const WSTOPPED: u32 = WUNTRACED;
    pub const WEXITED: u32 = 0x0000_0004;
    pub const WCONTINUED: u32 = 0x0000_0008;
    pub const WNOWAIT: u32 = 0x0100_0000;
    pub const WNOTHREAD: u32 = 0x2000_0000;
    pub const WALL: u32 = 0x4000_0000;
    pub const WCLONE: u32 = 0x8000_0000;

    pub const P_ALL: u32 = 0;
    pub const P_PID: u32 = 1;
    pub const P_PGID: u32 = 2;
    pub const P_PIDFD: u32 = 3;

    /// `struct rusage` is 144 bytes (2 timevals + 14 longs).
    pub const RUSAGE_SIZE: usize = 144;

    /// The wait status of a process that exited with `code`.
    pub const fn exited(code: u8) -> i32 {
        (code as i32) << 8
    }
    /// The wait status of a process killed by `sig` (with a core dump bit).
    pub const fn signaled(sig: u32, core: bool) -> i32 {
        (sig as i32 & 0x7f) | if core { 0x80 } else { 0 }
    }
    /// The wait status of a process stopped by `sig`.
    pub const fn stopped(sig: u32) -> i32 {
        0x7f | ((sig as i32) << 8)
    }
    /// The wait status of a process continued by SIGCONT.
    pub const CONTINUED: i32 = 0xffff;
}

/// `futex` operations.
pub mod futex {
    pub const FUTEX_WAIT: u32 = 0;
    pub const FUTEX_WAKE: u32 = 1;
    pub const FUTEX_REQUEUE: u32 = 3;
    pub const FUTEX_CMP_REQUEUE: u32 = 4;
    pub const FUTEX_WAIT_BITSET: u32 = 9;
    pub const FUTEX_WAKE_BITSET: u32 = 10;
    pub const FUTEX_PRIVATE_FLAG: u32 = 128;
    pub const FUTEX_CLOCK_REALTIME: u32 = 256;
    pub const FUTEX_CMD_MASK: u32 = !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    pub const FUTEX_BITSET_MATCH_ANY: u32 = 0xffff_ffff;
}

/// `reboot` magic numbers and commands.
pub mod reboot {
    pub const MAGIC1: u32 = 0xfee1_dead;
    pub const MAGIC2: u32 = 672_274_793;
    pub const MAGIC2A: u32 = 85_072_278;
    pub const MAGIC2B: u32 = 369_367_448;
    pub const MAGIC2C: u32 = 537_993_216;
    pub const CMD_RESTART: u32 = 0x0123_4567;
    pub const CMD_HALT: u32 = 0xcdef_0123;
    pub const CMD_CAD_ON: u32 = 0x89ab_cdef;
    pub const CMD_CAD_OFF: u32 = 0x0000_0000;
    pub const CMD_POWER_OFF: u32 = 0x4321_fedc;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_status_encoding() {
        assert_eq!(wait::exited(42), 42 << 8);
        assert_eq!(wait::signaled(11, true), 0x8b);
        assert_eq!(wait::signaled(9, false), 9);
        assert_eq!(wait::stopped(19), 0x137f);
        assert_eq!(wait::CONTINUED, 0xffff);
        assert_eq!(clone::CLONE_CHILD_SETTID, 0x0100_0000);
        assert_eq!(reboot::CMD_POWER_OFF, 0x4321_fedc);
    }
}
