//! The native thread calls (numbers 31-33 of `native_syscalls!`):
//! `thread_spawn`, `thread_exit` and `futex` (WAIT with an optional
//! timeout, WAKE). `mello_abi::thread` and `mello_abi::futex` give the
//! contract.
//!
//! They are the Linux personality's mechanisms with a native front: a
//! spawned thread is `user::thread::spawn` (what `clone(CLONE_THREAD)`
//! runs) with an entry point ([`ThreadEntry`]), its `tid_ptr` both
//! `CLONE_PARENT_SETTID` and `CLONE_CHILD_CLEARTID`; `thread_exit` is
//! Linux's `exit`; WAIT and WAKE are `user::futex`'s. Only the argument
//! checks are here, in Linux's spirit: a pointer outside user space or
//! unmapped is `EFAULT` (checked before the thread exists: the kernel's
//! later writes to `tid_ptr` ignore errors, as Linux's do), a misaligned
//! stack or futex word `EINVAL`, an unknown futex operation `ENOSYS`.
//!
//! Locking: none here; `user::thread` and `user::futex` document theirs.

use super::super::{ArgRegs, Args};
use crate::error::{Errno, SysResult};
use crate::user::futex;
use crate::user::thread::{self, ThreadEntry, ThreadOpts};
use crate::user::{self, uaccess::UserSlice};
use mello_abi::limits::USER_END;
use mello_abi::thread::STACK_ALIGN;

/// thread_spawn(entry, stack_top, arg, tid_ptr, tls): the new thread's tid.
pub fn sys_thread_spawn(a: &Args) -> SysResult {
    let (entry, stack_top, arg, tid_ptr, tls) = (a.a0(), a.a1(), a.get(2), a.get(3) as usize, a.get(4));
    UserSlice::new(entry, 1)?;
    if !stack_top.is_multiple_of(STACK_ALIGN) {
        return Err(Errno::EINVAL);
    }
    let sp = stack_top.checked_sub(8).ok_or(Errno::EFAULT)?;
    let ret_slot = UserSlice::new(sp, 8)?;
    if tid_ptr != 0 {
        if !tid_ptr.is_multiple_of(4) {
            return Err(Errno::EINVAL);
        }
        // Mapped and writable: read the word and write it back.
        let word = UserSlice::new(tid_ptr, 4)?;
        let mut b = [0u8; 4];
        word.read_into(&mut b)?;
        word.write_from(&b)?;
    }
    if tls >= USER_END as u64 {
        return Err(Errno::EINVAL);
    }
    // The zero return address below the top: a thread whose entry returns
    // faults (and takes its process with it) instead of running on.
    ret_slot.write_from(&0u64.to_le_bytes())?;
    let tid_at = (tid_ptr != 0).then_some(tid_ptr as u64);
    thread::spawn(&ThreadOpts {
        entry: Some(ThreadEntry { rip: entry as u64, arg }),
        stack: Some(sp as u64),
        tls: (tls != 0).then_some(tls),
        parent_tid: tid_at,
        child_settid: None,
        child_cleartid: tid_at,
    })
}

/// thread_exit(code): the calling thread ends; the process ends with its
/// last thread, with the first thread's own code unless an `exit` or a
/// fault ended the group first.
pub fn sys_thread_exit(a: &Args) -> SysResult {
    thread::exit((a.a0() & 0xff) as u8)
}

/// futex(addr, op, val, timeout_ns): see `mello_abi::futex`.
pub fn sys_futex(a: &Args) -> SysResult {
    let (addr, op, val, timeout_ns) = (a.a0(), a.a1(), a.a2(), a.get(3));
    let proc = user::current_process().ok_or(Errno::EINVAL)?;
    if !addr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    UserSlice::new(addr, 4)?;
    match op {
        mello_abi::futex::WAIT => {
            let expected = u32::try_from(val).map_err(|_| Errno::EINVAL)?;
            let deadline = (timeout_ns != 0).then(|| futex::deadline_after_ns(timeout_ns));
            // An interrupted wait restarts (native programs have no
            // handlers), a timed one with its whole timeout again.
            futex::wait(&proc, addr as u64, expected, u32::MAX, deadline)?;
            Ok(0)
        }
        mello_abi::futex::WAKE => Ok(futex::wake(&proc, addr as u64, val)),
        _ => Err(Errno::ENOSYS),
    }
}
