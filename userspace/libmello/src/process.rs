//! Process helpers built on `fork`, `exit` and `wait`.

use crate::sys::{exit, fork, wait};
use crate::Errno;

/// Forks; the child runs `child` and exits with its result, the parent
/// gets the child's pid. `child` never returns into the parent's code.
pub fn spawn(child: impl FnOnce() -> i32) -> Result<usize, Errno> {
    match fork()? {
        0 => exit(child()),
        pid => Ok(pid),
    }
}

/// Waits for the child `pid` and returns its exit status. A kernel that
/// reports a different pid gets `Err(EINVAL)`.
pub fn wait_for(pid: usize) -> Result<i32, Errno> {
    let mut status = 0;
    match wait(pid as isize, Some(&mut status))? {
        got if got == pid => Ok(status),
        _ => Err(Errno::EINVAL),
    }
}

/// Waits for any child; returns its pid and exit status.
pub fn wait_any() -> Result<(usize, i32), Errno> {
    let mut status = 0;
    let pid = wait(crate::abi::WAIT_ANY, Some(&mut status))?;
    Ok((pid, status))
}
