//! The Linux x86-64 signal frame: writing `struct rt_sigframe` for a
//! handler ([`setup`]) and restoring the interrupted context from it in
//! `rt_sigreturn` ([`restore`]).
//!
//! Layout, from the interrupted stack pointer down (Linux's
//! `get_sigframe`): the 128-byte red zone is skipped (or, with
//! `SA_ONSTACK` and an alternate stack not already in use, its top is
//! taken); the 512-byte FXSAVE image of the interrupted FPU state goes
//! below, 64-byte aligned; then the frame (`pretcode` = `sa_restorer`,
//! `ucontext` with `uc_mcontext` in Linux's register order and `fpstate`
//! pointing at the image, `uc_sigmask` = the mask to restore, then the
//! `siginfo`), placed so that the handler starts with `(rsp + 8) % 16 == 0`.
//!
//! Restoring is hostile-input parsing: the frame is user memory. Only the
//! user-changeable RFLAGS bits are taken from it (`FIX_EFLAGS`, as Linux);
//! CS and SS stay the user selectors (a frame naming others is refused,
//! where Linux's return would fault); an RIP or RSP outside the
//! lower canonical half is refused (the caller kills the process with
//! SIGSEGV), so no forged frame reaches ring 0 or a faulting `sysret`/
//! `iret`; the FPU image passes through `sched::set_current_fpu`, which
//! clears MXCSR's reserved bits.

#![forbid(unsafe_code)]

use crate::arch::trap::TrapFrame;
use crate::error::Errno;
use crate::mm::uaccess::UserSlice;
use alloc::vec;
use mello_abi::limits::USER_END;
use mello_abi::linux::sigframe::{reg, rt_sigframe, Sigcontext, Siginfo, StackT, Ucontext, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS};
use mello_abi::linux::signal::{SS_AUTODISARM, SS_DISABLE, SS_ONSTACK};

/// RFLAGS bits a frame may change (Linux's `FIX_EFLAGS`): CF, PF, AF, ZF,
/// SF, TF, DF, OF, RF, AC.
const FIX_EFLAGS: u64 = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x1_0000 | 0x4_0000;
/// TF, DF and RF are cleared for a handler.
const HANDLER_CLEAR: u64 = 0x100 | 0x400 | 0x1_0000;

/// Whether `addr` is inside the user half.
fn user_addr(addr: u64) -> bool {
    addr < USER_END as u64
}

/// Whether `sp` lies on the alternate stack `ss`.
pub fn on_stack(ss: &StackT, sp: u64) -> bool {
    ss.flags & SS_DISABLE == 0 && sp > ss.sp && sp - ss.sp <= ss.size
}

/// Everything [`setup`] needs besides the trap frame.
pub struct Setup<'a> {
    pub handler: u64,
    pub restorer: u64,
    pub info: &'a Siginfo,
    /// The mask `rt_sigreturn` restores.
    pub mask: u64,
    /// Use the alternate stack (`SA_ONSTACK`).
    pub onstack: bool,
    pub altstack: &'a mut StackT,
    /// The fault's error code, vector and address, if a fault raised it.
    pub fault: Option<(u64, u64, u64)>,
    pub signo: u32,
}

/// Write the frame for a handler and point `frame` at it. `Err` if the
/// frame cannot be written (the caller kills the process with SIGSEGV).
pub fn setup(frame: &mut TrapFrame, s: Setup<'_>) -> Result<(), Errno> {
    if !user_addr(s.handler) || !user_addr(s.restorer) || s.restorer == 0 {
        return Err(Errno::EFAULT);
    }
    let stack_state = *s.altstack;
    let mut sp = frame.rsp.wrapping_sub(rt_sigframe::RED_ZONE);
    if s.onstack && stack_state.flags & SS_DISABLE == 0 && !on_stack(&stack_state, frame.rsp) {
        sp = stack_state.sp.wrapping_add(stack_state.size);
        if stack_state.flags & SS_AUTODISARM != 0 {
            *s.altstack = StackT { sp: 0, flags: SS_DISABLE, size: 0 };
        }
    }
    let fp = sp.wrapping_sub(rt_sigframe::FPSTATE_SIZE as u64) & !63;
    let base = (fp.wrapping_sub(rt_sigframe::SIZE as u64) & !15).wrapping_sub(8);
    if !user_addr(base) || !user_addr(sp) || base > fp {
        return Err(Errno::EFAULT);
    }
    let total = (fp - base) as usize + rt_sigframe::FPSTATE_SIZE;
    let mut image = vec![0u8; total];
    let (err, trapno, cr2) = s.fault.unwrap_or((0, 0, 0));
    let regs = [
        frame.r8, frame.r9, frame.r10, frame.r11, frame.r12, frame.r13, frame.r14, frame.r15, frame.rdi, frame.rsi,
        frame.rbp, frame.rbx, frame.rdx, frame.rax, frame.rcx, frame.rsp, frame.rip, frame.rflags,
    ];
    let uc = Ucontext {
        flags: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
        link: 0,
        stack: StackT {
            sp: stack_state.sp,
            flags: if stack_state.flags & SS_DISABLE != 0 {
                SS_DISABLE
            } else if on_stack(&stack_state, frame.rsp) {
                SS_ONSTACK
            } else {
                stack_state.flags & SS_AUTODISARM
            },
            size: stack_state.size,
        },
        mcontext: Sigcontext {
            regs,
            cs: frame.cs as u16,
            gs: 0,
            fs: 0,
            ss: frame.ss as u16,
            err,
            trapno,
            oldmask: s.mask,
            cr2,
            fpstate: fp,
        },
        sigmask: s.mask,
    };
    image[rt_sigframe::OFF_PRETCODE..8].copy_from_slice(&s.restorer.to_le_bytes());
    image[rt_sigframe::OFF_UC..rt_sigframe::OFF_UC + Ucontext::SIZE].copy_from_slice(&uc.to_bytes());
    image[rt_sigframe::OFF_INFO..rt_sigframe::OFF_INFO + Siginfo::SIZE].copy_from_slice(&s.info.to_bytes());
    let fx = crate::sched::current_fpu_copy();
    let at = (fp - base) as usize;
    image[at..at + rt_sigframe::FPSTATE_SIZE].copy_from_slice(&fx.0);
    UserSlice::new(base as usize, total)?.write_from(&image)?;
    // The handler starts with a clean FPU state, as on Linux.
    crate::sched::set_current_fpu(&crate::sched::task::FxArea::new_default().0);
    frame.rip = s.handler;
    frame.rsp = base;
    frame.rdi = s.signo as u64;
    frame.rsi = base + rt_sigframe::OFF_INFO as u64;
    frame.rdx = base + rt_sigframe::OFF_UC as u64;
    frame.rax = 0;
    frame.rflags &= !HANDLER_CLEAR;
    Ok(())
}

/// What `rt_sigreturn` found in the frame besides the registers.
pub struct Restored {
    pub mask: u64,
    pub stack: StackT,
}

/// Restore `frame` from the signal frame the handler returned through
/// (its `pretcode` was popped: the frame starts at `rsp - 8`). `Err` for
/// an unreadable or unsafe frame (the caller kills with SIGSEGV).
pub fn restore(frame: &mut TrapFrame) -> Result<Restored, Errno> {
    let base = frame.rsp.wrapping_sub(8);
    let mut b = [0u8; Ucontext::SIZE];
    UserSlice::new(base as usize + rt_sigframe::OFF_UC, b.len())?.read_into(&mut b)?;
    let uc = Ucontext::from_bytes(&b);
    let r = &uc.mcontext.regs;
    if !user_addr(r[reg::RIP]) || !user_addr(r[reg::RSP]) {
        return Err(Errno::EFAULT);
    }
    // Linux takes `cs | 3` and `ss | 3` and the return faults unless they
    // are the user selectors: refuse anything else here (SIGSEGV), so
    // the frame keeps the user selectors it has.
    let user = TrapFrame::new_user(0, 0);
    if u64::from(uc.mcontext.cs | 3) != user.cs || (uc.flags & UC_STRICT_RESTORE_SS != 0 && u64::from(uc.mcontext.ss | 3) != user.ss) {
        return Err(Errno::EFAULT);
    }
    if uc.mcontext.fpstate != 0 {
        let mut fx = [0u8; rt_sigframe::FPSTATE_SIZE];
        UserSlice::new(uc.mcontext.fpstate as usize, fx.len())?.read_into(&mut fx)?;
        crate::sched::set_current_fpu(&fx);
    } else {
        crate::sched::set_current_fpu(&crate::sched::task::FxArea::new_default().0);
    }
    frame.r8 = r[reg::R8];
    frame.r9 = r[reg::R9];
    frame.r10 = r[reg::R10];
    frame.r11 = r[reg::R11];
    frame.r12 = r[reg::R12];
    frame.r13 = r[reg::R13];
    frame.r14 = r[reg::R14];
    frame.r15 = r[reg::R15];
    frame.rdi = r[reg::RDI];
    frame.rsi = r[reg::RSI];
    frame.rbp = r[reg::RBP];
    frame.rbx = r[reg::RBX];
    frame.rdx = r[reg::RDX];
    frame.rax = r[reg::RAX];
    frame.rcx = r[reg::RCX];
    frame.rsp = r[reg::RSP];
    frame.rip = r[reg::RIP];
    frame.rflags = (frame.rflags & !FIX_EFLAGS) | (r[reg::EFLAGS] & FIX_EFLAGS);
    Ok(Restored { mask: uc.sigmask, stack: uc.stack })
}
