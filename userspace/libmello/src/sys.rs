//! Safe wrappers for the native MelloOS system calls (numbers and errno values
//! from `mello-abi`). Each returns `Ok(value)` for a result `>= 0` and
//! `Err(errno)` otherwise; all use the `syscall` instruction.

use crate::abi::nr;
use crate::raw::{syscall0, syscall3};
use crate::Errno;
use alloc::vec::Vec;
use core::ffi::{c_char, CStr};

fn result(ret: isize) -> Result<usize, Errno> {
    Errno::from_ret(ret)
}

/// Writes `buf` to file descriptor `fd` (init's 0, 1 and 2 are
/// `/dev/console`); returns
/// the number of bytes written.
pub fn write(fd: usize, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel only reads `buf`, valid for `buf.len()` bytes.
    result(unsafe { syscall3(nr::WRITE, fd, buf.as_ptr() as usize, buf.len()) })
}

/// Ends the process; `wait` in the parent reports `code & 0xff`.
pub fn exit(code: i32) -> ! {
    // SAFETY: ending the process breaks no invariant of this program.
    unsafe { syscall3(nr::EXIT, code as isize as usize, 0, 0) };
    // `exit` never returns. If a broken kernel returns anyway, die loudly
    // (SIGILL) rather than run on or spin.
    loop {
        // SAFETY: `ud2` only raises #UD.
        unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
    }
}

/// Sleeps for at least `ticks` scheduler ticks.
pub fn sleep(ticks: usize) -> Result<usize, Errno> {
    // SAFETY: no memory arguments.
    result(unsafe { syscall3(nr::SLEEP, ticks, 0, 0) })
}

/// Queues `msg` on IPC port `port` without blocking (`EAGAIN` when the
/// port's queue is full).
pub fn ipc_send(port: usize, msg: &[u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel only reads `msg`.
    result(unsafe { syscall3(nr::IPC_SEND, port, msg.as_ptr() as usize, msg.len()) })
}

/// Blocks until a message arrives on `port` and copies at most `buf.len()`
/// bytes of it into `buf` (the rest of a longer message is dropped);
/// returns the number of bytes copied.
pub fn ipc_recv(port: usize, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`, which
    // we borrow mutably.
    result(unsafe { syscall3(nr::IPC_RECV, port, buf.as_mut_ptr() as usize, buf.len()) })
}

/// The caller's process id (init is 1).
pub fn getpid() -> Result<usize, Errno> {
    // SAFETY: no arguments.
    result(unsafe { syscall0(nr::GETPID) })
}

/// Gives up the CPU to another runnable task, if any.
pub fn yield_now() -> Result<usize, Errno> {
    // SAFETY: no arguments.
    result(unsafe { syscall0(nr::YIELD) })
}

/// Creates a copy-on-write copy of this process: returns the child's pid
/// in the parent and 0 in the child. The child has one thread, the
/// caller's copy: a lock another thread held at the fork (a
/// `thread::Mutex`, the heap's) stays held in the child, as in POSIX, so a
/// child of a threaded process should not allocate or lock before `exec`.
pub fn fork() -> Result<usize, Errno> {
    // SAFETY: the child's memory is a copy of this thread's view; what the
    // other threads were doing is frozen, not torn: their locks stay
    // taken (so their data stays unreachable), nothing runs on their stacks.
    result(unsafe { syscall0(nr::FORK) })
}

/// Waits for child `pid` (or any child if `pid == -1`) to exit; returns
/// its pid and stores its status in `status` if given.
pub fn wait(pid: isize, status: Option<&mut i32>) -> Result<usize, Errno> {
    let ptr = status.map_or(0, |s| s as *mut i32 as usize);
    // SAFETY: the kernel writes one i32 to `ptr`, a live `&mut i32`, or
    // nothing when it is null.
    result(unsafe { syscall3(nr::WAIT, pid as usize, ptr, 0) })
}

/// Replaces this process's image with the program at `path`, giving it
/// `argv`. Returns only on failure.
pub fn exec(path: &CStr, argv: &[&CStr]) -> Result<usize, Errno> {
    let mut ptrs: Vec<*const c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(core::ptr::null());
    // SAFETY: `path` and every `argv` entry are NUL-terminated and the
    // array is NULL-terminated; the kernel only reads them. On success the
    // image is replaced, which no invariant of this program depends on.
    result(unsafe { syscall3(nr::EXEC, path.as_ptr() as usize, ptrs.as_ptr() as usize, 0) })
}
