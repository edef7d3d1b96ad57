//! The test harness of `utest`: the result type, assertion macros, the IPC
//! ports each test owns, addresses no user pointer may reach, and helpers
//! to run code in a child process and judge raw system-call results.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use mello::abi::nr;
use mello::raw::{self, Entry};
use mello::{process, Errno};

/// `Ok(())` or why the test failed (one line).
pub type TestResult = Result<(), String>;

/// Fails the test with a formatted message unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(alloc::format!($($fmt)+));
        }
    };
}

/// IPC ports, one set per test so a stale message can never cross tests.
pub mod port {
    pub const SMP: usize = 100;
    pub const COW_TO_CHILD: usize = 101;
    pub const COW_TO_PARENT: usize = 102;
    pub const REPORT: usize = 103;
    pub const WAIT_HOLD: usize = 104;
    pub const WAIT_PID: usize = 105;
    pub const ORPHAN_GO: usize = 106;
    pub const ORPHAN_PID: usize = 107;
    pub const ORPHAN_DONE: usize = 108;
    pub const LIMIT: usize = 109;
    pub const PING: usize = 110;
    pub const PONG: usize = 111;
    pub const QUEUE: usize = 112;
    pub const TRUNC: usize = 113;
    pub const BIG: usize = 114;
    pub const FAULT: usize = 115;
    pub const READY: usize = 116;
    pub const FIFO: usize = 117;
}

/// The kernel image base: mapped, but never for user mode.
pub const KERNEL_ADDR: usize = 0xFFFF_FFFF_8000_0000;
/// The first non-canonical address above user space (where user space ends).
pub const NON_CANONICAL: usize = mello::limits::USER_END;
/// Below every program image (USER_START): never mapped.
pub const UNMAPPED: usize = mello::limits::USER_START;

/// Collects the failures of a test made of independent checks, so one
/// run reports every mismatch instead of only the first.
#[derive(Default)]
pub struct Checks(Vec<String>);

impl Checks {
    /// Records `result` if it is a failure.
    pub fn add(&mut self, result: TestResult) {
        if let Err(why) = result {
            self.0.push(why);
        }
    }

    /// `Ok` if every check passed, else all failures joined by `; `.
    pub fn finish(self) -> TestResult {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(self.0.join("")),
            n => Err(format!("{} checks failed: {}", n, self.0.join("; "))),
        }
    }
}

/// A raw system-call result, readable: `5`, or `-14 (EFAULT)`.
pub fn describe(ret: isize) -> String {
    match Errno::from_ret(ret) {
        Ok(v) => v.to_string(),
        Err(e) if e.as_ret() == ret => format!("{} ({:?})", ret, e),
        Err(_) => format!("{} (not a MelloOS errno)", ret),
    }
}

/// Checks that a raw result is `-want`.
pub fn expect_err(what: &str, got: isize, want: Errno) -> TestResult {
    ensure!(got == want.as_ret(), "{}: expected {} ({:?}), got {}", what, want.as_ret(), want, describe(got));
    Ok(())
}

/// Checks that a raw result is one of the errors in `allowed`.
pub fn expect_err_in(what: &str, got: isize, allowed: &[Errno]) -> TestResult {
    ensure!(
        allowed.iter().any(|e| e.as_ret() == got),
        "{}: expected one of {:?}, got {}",
        what,
        allowed,
        describe(got)
    );
    Ok(())
}

/// `write(fd, ptr, len)` through `entry` with an arbitrary pointer. Safe:
/// the kernel only reads the buffer.
pub fn raw_write(entry: Entry, fd: usize, ptr: usize, len: usize) -> isize {
    // SAFETY: write reads user memory and changes none.
    unsafe { raw::call(entry, nr::WRITE, &[fd, ptr, len]) }
}

/// `ipc_send(port, ptr, len)` with an arbitrary pointer. Safe: the kernel
/// only reads the buffer.
pub fn raw_send(port: usize, ptr: usize, len: usize) -> isize {
    // SAFETY: ipc_send reads user memory and changes none.
    unsafe { raw::syscall6(nr::IPC_SEND, [port, ptr, len, 0, 0, 0]) }
}

/// `exec(path, argv)` with arbitrary pointers. Safe: on success the image
/// is replaced (nothing of ours runs on); on failure nothing changed.
pub fn raw_exec(path: usize, argv: usize) -> isize {
    // SAFETY: exec reads user memory only.
    unsafe { raw::syscall6(nr::EXEC, [path, argv, 0, 0, 0, 0]) }
}

/// Forks a child running `f`, waits for it and returns its exit status.
pub fn child_status(f: impl FnOnce() -> i32) -> Result<i32, String> {
    let pid = process::spawn(f).map_err(|e| format!("fork: {:?}", e))?;
    process::wait_for(pid).map_err(|e| format!("wait({}): {:?}", pid, e))
}

/// Runs `f` in a child process and returns its verdict. The child reports
/// a failure's text on [`port::REPORT`] before exiting with 1; exit status
/// 0 means success, anything else means the child died.
pub fn in_child(f: impl FnOnce() -> TestResult) -> TestResult {
    let status = child_status(|| match f() {
        Ok(()) => 0,
        Err(why) => {
            let text = &why.as_bytes()[..why.len().min(mello::limits::MAX_MSG)];
            if mello::ipc_send(port::REPORT, text).is_ok() { 1 } else { 2 }
        }
    })?;
    match status {
        0 => Ok(()),
        1 => {
            let mut buf = [0u8; mello::limits::MAX_MSG];
            let n = mello::ipc_recv(port::REPORT, &mut buf).map_err(|e| format!("ipc_recv report: {:?}", e))?;
            Err(String::from_utf8_lossy(&buf[..n]).into_owned())
        }
        2 => Err("the child failed and could not report why (ipc_send failed)".into()),
        s => Err(format!("the child died with status {}", s)),
    }
}
