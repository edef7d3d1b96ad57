//! The native system-call handlers, one function per row of
//! `mello_abi::native_syscalls!`. Each validates its arguments (user
//! pointers through `user::uaccess`) and returns `SysResult`. The file
//! calls (numbers 10-30) are in `handlers/fs_calls.rs`, the thread calls
//! (31-33) in `handlers/thread_calls.rs`.

mod fs_calls;
mod thread_calls;
pub use fs_calls::*;
pub use thread_calls::*;

use super::{port, ArgRegs, Args};
use crate::error::{Errno, SysResult};
use crate::user::{self, uaccess::{self, UserSlice}};
use alloc::vec::Vec;
use mello_abi::limits::{ARGV_MAX, ARG_MAX, MAX_MSG, PATH_MAX, WRITE_MAX};

/// write(fd, buf, len) through the descriptor table (fds 0-2 of a process
/// the kernel starts are `/dev/console`). Linux's order of checks: `EBADF`
/// (no such descriptor, or not open for writing), `EFAULT`; then the
/// native limit: longer than `WRITE_MAX` is `EINVAL`. A console write
/// copies the whole buffer in first, so a bad pointer anywhere in it
/// writes nothing.
pub fn sys_write(a: &Args) -> SysResult {
    let (fd, buf, len) = (a.a0(), a.a1(), a.a2());
    let file = fs_calls::file_of(fd)?;
    if !file.writable() {
        return Err(Errno::EBADF);
    }
    UserSlice::new(buf, len)?;
    if len > WRITE_MAX {
        return Err(Errno::EINVAL);
    }
    file.write(buf, len)
}

/// exit(code): the parent's wait sees `code & 0xff`.
pub fn sys_exit(a: &Args) -> SysResult {
    user::exit_current((a.a0() & 0xff) as i32)
}

/// sleep(ticks): returns 0 after at least `ticks` scheduler ticks.
pub fn sys_sleep(a: &Args) -> SysResult {
    crate::sched::sleep::sleep(a.a0() as u64);
    Ok(0)
}

/// ipc_send(port, buf, len): non-blocking.
pub fn sys_ipc_send(a: &Args) -> SysResult {
    let (id, buf, len) = (a.a0(), a.a1(), a.a2());
    if id >= mello_abi::limits::NUM_PORTS || len > MAX_MSG {
        return Err(Errno::EINVAL);
    }
    let user = UserSlice::new(buf, len)?;
    let mut small = [0u8; 64];
    let msg = if len <= small.len() {
        user.read_into(&mut small[..len])?;
        port::Message::from_slice(&small[..len])?
    } else {
        port::Message::Heap(user.read_vec()?)
    };
    port::send_msg(id, msg)?;
    Ok(0)
}

/// ipc_recv(port, buf, len): blocks; copies at most `len` bytes.
pub fn sys_ipc_recv(a: &Args) -> SysResult {
    let (id, buf, len) = (a.a0(), a.a1(), a.a2());
    if id >= mello_abi::limits::NUM_PORTS {
        return Err(Errno::EINVAL);
    }
    let dst = UserSlice::new(buf, len)?;
    let msg = port::recv_msg(id)?;
    let bytes = msg.as_slice();
    let n = bytes.len().min(dst.len());
    dst.write_from(&bytes[..n])?;
    Ok(n)
}

pub fn sys_getpid(_: &Args) -> SysResult {
    user::current_pid().ok_or(Errno::EINVAL)
}

pub fn sys_yield(_: &Args) -> SysResult {
    crate::sched::yield_now();
    Ok(0)
}

pub fn sys_fork(_: &Args) -> SysResult {
    user::fork()
}

/// wait(pid, status_ptr): pid -1 = any child.
pub fn sys_wait(a: &Args) -> SysResult {
    user::wait(a.a0() as isize, a.a1())
}

/// exec(path, argv): argv is a NULL-terminated array of C strings, or null.
pub fn sys_exec(a: &Args) -> SysResult {
    let path = uaccess::read_cstr(a.a0(), PATH_MAX, Errno::E2BIG)?;
    let path = core::str::from_utf8(&path).map_err(|_| Errno::ENOENT)?;
    let mut argv: Vec<Vec<u8>> = Vec::new();
    if a.a1() != 0 {
        let mut total = 0;
        loop {
            let slot = a.a1().checked_add(argv.len() * 8).ok_or(Errno::EFAULT)?;
            let ptr = uaccess::read_u64(slot)? as usize;
            if ptr == 0 {
                break;
            }
            if argv.len() >= ARGV_MAX {
                return Err(Errno::E2BIG);
            }
            let arg = uaccess::read_cstr(ptr, ARG_MAX - total, Errno::E2BIG)?;
            total += arg.len() + 1;
            fallible::in_scope(|| argv.try_reserve(1)).map_err(crate::error::no_memory)?;
            argv.push(arg);
        }
    }
    user::exec(path, &argv)
}
