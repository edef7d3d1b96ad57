//! The Linux x86-64 signal structures a handler sees: `siginfo_t` (128
//! bytes), `stack_t` (24), `struct sigcontext` (256, Linux's register
//! order), the kernel's `struct ucontext` (304) and `struct rt_sigframe`
//! (`pretcode`, `uc`, `info`: 440 bytes), each as a little-endian image
//! (`arch/x86/include/uapi/asm/sigcontext.h`, `arch/x86/include/asm/sigframe.h`,
//! `include/uapi/asm-generic/siginfo.h`). The FXSAVE area (512 bytes) that
//! `sigcontext.fpstate` points at lies above the frame, 64-byte aligned.

fn put(b: &mut [u8], at: usize, v: &[u8]) {
    b[at..at + v.len()].copy_from_slice(v);
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or([0; 4]))
}

/// What a `siginfo_t` carries beyond number and code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SigFields {
    /// Nothing (a kernel-generated signal without details).
    #[default]
    None,
    /// kill/tgkill/tty: the sender.
    Kill { pid: i32, uid: u32 },
    /// SIGCHLD: the child, and its exit code or signal.
    Child { pid: i32, uid: u32, status: i32 },
    /// A fault: the address.
    Fault { addr: u64 },
}

/// `siginfo_t` (128 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Siginfo {
    pub signo: i32,
    pub errno: i32,
    pub code: i32,
    pub fields: SigFields,
}

impl Siginfo {
    pub const SIZE: usize = 128;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        put(&mut b, 0, &self.signo.to_le_bytes());
        put(&mut b, 4, &self.errno.to_le_bytes());
        put(&mut b, 8, &self.code.to_le_bytes());
        match self.fields {
            SigFields::None => {}
            SigFields::Kill { pid, uid } => {
                put(&mut b, 16, &pid.to_le_bytes());
                put(&mut b, 20, &uid.to_le_bytes());
            }
            SigFields::Child { pid, uid, status } => {
                put(&mut b, 16, &pid.to_le_bytes());
                put(&mut b, 20, &uid.to_le_bytes());
                put(&mut b, 24, &status.to_le_bytes());
                // si_utime, si_stime (32, 40): no CPU accounting yet: 0.
            }
            SigFields::Fault { addr } => put(&mut b, 16, &addr.to_le_bytes()),
        }
        b
    }
}

/// `stack_t` (24 bytes: `ss_sp`, `ss_flags` (int, padded), `ss_size`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackT {
    pub sp: u64,
    pub flags: u32,
    pub size: u64,
}

impl StackT {
    pub const SIZE: usize = 24;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        put(&mut b, 0, &self.sp.to_le_bytes());
        put(&mut b, 8, &self.flags.to_le_bytes());
        put(&mut b, 16, &self.size.to_le_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> StackT {
        StackT { sp: u64_at(b, 0), flags: u32_at(b, 8), size: u64_at(b, 16) }
    }
}

/// `struct sigcontext` (256 bytes): the general registers in Linux's order
/// (r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags), then
/// cs/gs/fs/ss (16 bits each), err, trapno, oldmask, cr2, the `fpstate`
/// pointer and 64 reserved bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigcontext {
    /// r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax,
    /// rcx, rsp, rip, eflags (Linux's order).
    pub regs: [u64; 18],
    pub cs: u16,
    pub gs: u16,
    pub fs: u16,
    pub ss: u16,
    pub err: u64,
    pub trapno: u64,
    pub oldmask: u64,
    pub cr2: u64,
    pub fpstate: u64,
}

/// Indexes into [`Sigcontext::regs`].
pub mod reg {
    pub const R8: usize = 0;
    pub const R9: usize = 1;
    pub const R10: usize = 2;
    pub const R11: usize = 3;
    pub const R12: usize = 4;
    pub const R13: usize = 5;
    pub const R14: usize = 6;
    pub const R15: usize = 7;
    pub const RDI: usize = 8;
    pub const RSI: usize = 9;
    pub const RBP: usize = 10;
    pub const RBX: usize = 11;
    pub const RDX: usize = 12;
    pub const RAX: usize = 13;
    pub const RCX: usize = 14;
    pub const RSP: usize = 15;
    pub const RIP: usize = 16;
    pub const EFLAGS: usize = 17;
}

impl Sigcontext {
    pub const SIZE: usize = 256;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        for (i, r) in self.regs.iter().enumerate() {
            put(&mut b, i * 8, &r.to_le_bytes());
        }
        put(&mut b, 144, &self.cs.to_le_bytes());
        put(&mut b, 146, &self.gs.to_le_bytes());
        put(&mut b, 148, &self.fs.to_le_bytes());
        put(&mut b, 150, &self.ss.to_le_bytes());
        put(&mut b, 152, &self.err.to_le_bytes());
        put(&mut b, 160, &self.trapno.to_le_bytes());
        put(&mut b, 168, &self.oldmask.to_le_bytes());
        put(&mut b, 176, &self.cr2.to_le_bytes());
        put(&mut b, 184, &self.fpstate.to_le_bytes());
        b
    }

    pub fn from_bytes(b: &[u8]) -> Sigcontext {
        let mut regs = [0u64; 18];
        for (i, r) in regs.iter_mut().enumerate() {
            *r = u64_at(b, i * 8);
        }
        let h = |at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
        Sigcontext {
            regs,
            cs: h(144),
            gs: h(146),
            fs: h(148),
            ss: h(150),
            err: u64_at(b, 152),
            trapno: u64_at(b, 160),
            oldmask: u64_at(b, 168),
            cr2: u64_at(b, 176),
            fpstate: u64_at(b, 184),
        }
    }
}

/// `uc_flags` bits.
pub const UC_FP_XSTATE: u64 = 1;
pub const UC_SIGCONTEXT_SS: u64 = 2;
pub const UC_STRICT_RESTORE_SS: u64 = 4;

/// The kernel's `struct ucontext` (304 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ucontext {
    pub flags: u64,
    pub link: u64,
    pub stack: StackT,
    pub mcontext: Sigcontext,
    pub sigmask: u64,
}

impl Ucontext {
    pub const SIZE: usize = 304;
    pub const OFF_STACK: usize = 16;
    pub const OFF_MCONTEXT: usize = 40;
    pub const OFF_SIGMASK: usize = 296;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        put(&mut b, 0, &self.flags.to_le_bytes());
        put(&mut b, 8, &self.link.to_le_bytes());
        put(&mut b, Self::OFF_STACK, &self.stack.to_bytes());
        put(&mut b, Self::OFF_MCONTEXT, &self.mcontext.to_bytes());
        put(&mut b, Self::OFF_SIGMASK, &self.sigmask.to_le_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Ucontext {
        let stack: [u8; StackT::SIZE] = b[16..40].try_into().unwrap_or([0; StackT::SIZE]);
        Ucontext {
            flags: u64_at(b, 0),
            link: u64_at(b, 8),
            stack: StackT::from_bytes(&stack),
            mcontext: Sigcontext::from_bytes(&b[40..296]),
            sigmask: u64_at(b, Self::OFF_SIGMASK),
        }
    }
}

/// `struct rt_sigframe` on x86-64: `pretcode` (the handler's return
/// address: `sa_restorer`), then `uc`, then `info`.
pub mod rt_sigframe {
    pub const OFF_PRETCODE: usize = 0;
    pub const OFF_UC: usize = 8;
    pub const OFF_INFO: usize = 8 + super::Ucontext::SIZE;
    pub const SIZE: usize = OFF_INFO + super::Siginfo::SIZE;
    /// Bytes of the FXSAVE image `fpstate` points at.
    pub const FPSTATE_SIZE: usize = 512;
    /// Bytes below the interrupted stack pointer a handler must not touch.
    pub const RED_ZONE: u64 = 128;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_offsets_are_linuxs() {
        assert_eq!(Siginfo::SIZE, 128);
        assert_eq!(StackT::SIZE, 24);
        assert_eq!(Sigcontext::SIZE, 256);
        assert_eq!(Ucontext::SIZE, 304);
        assert_eq!(rt_sigframe::SIZE, 440);
        assert_eq!(rt_sigframe::OFF_INFO, 312);
        // uc_mcontext.gregs[REG_RIP] is at ucontext + 40 + 16 * 8 (glibc, musl).
        let mut uc = Ucontext::default();
        uc.mcontext.regs[reg::RIP] = 0x1234_5678;
        uc.mcontext.regs[reg::R8] = 8;
        uc.sigmask = 0xabcd;
        uc.stack = StackT { sp: 0x7000, flags: 2, size: 4096 };
        let b = uc.to_bytes();
        assert_eq!(u64_at(&b, 40 + 16 * 8), 0x1234_5678);
        assert_eq!(u64_at(&b, 40), 8);
        assert_eq!(u64_at(&b, 296), 0xabcd);
        assert_eq!(u32_at(&b, 24), 2);
        assert_eq!(Ucontext::from_bytes(&b), uc);
    }

    #[test]
    fn siginfo_images() {
        let i = Siginfo { signo: 17, errno: 0, code: 1, fields: SigFields::Child { pid: 5, uid: 0, status: 42 } };
        let b = i.to_bytes();
        assert_eq!((u32_at(&b, 0), u32_at(&b, 8), u32_at(&b, 16), u32_at(&b, 24)), (17, 1, 5, 42));
        let f = Siginfo { signo: 11, errno: 0, code: 1, fields: SigFields::Fault { addr: 0xdead } };
        assert_eq!(u64_at(&f.to_bytes(), 16), 0xdead);
        let sc = Sigcontext { regs: [7; 18], cs: 0x33, ss: 0x2b, fpstate: 9, ..Default::default() };
        assert_eq!(Sigcontext::from_bytes(&sc.to_bytes()), sc);
    }
}
