//! The terminal `ioctl`s (Linux `tty_ioctl`/`n_tty_ioctl`) a character
//! device hands to [`ioctl`]: termios (`TCGETS`, `TCSETS`, `TCSETSW`,
//! `TCSETSF`), window size (`TIOCGWINSZ`, `TIOCSWINSZ`), `FIONREAD`
//! (`TIOCINQ`), `TIOCOUTQ`, `TCFLSH`, `TCXONC` and `TCSBRK` (tcdrain; no break
//! is sent, as Linux does for a driver without `break_ctl`). Their argument is a user
//! pointer for the structure calls and a plain value for `TCFLSH`,
//! `TCXONC` and `TCSBRK`, as on Linux; any other request is `ENOTTY`
//! The job-control requests (`TIOCSCTTY`, `TIOCNOTTY`, `TIOCGPGRP`,
//! `TIOCSPGRP`, `TIOCGSID`) go to the process layer (`user::jobctl`), which
//! knows sessions and groups.
//!
//! User memory is reached through [`ArgMemory`], so the same code runs on
//! a kernel buffer in the tests; [`ioctl`] uses `mm::uaccess`.

#![forbid(unsafe_code)]

use super::Terminal;
use crate::mm::uaccess::UserSlice;
use mello_abi::termios::{ioctl::*, Termios, WinSize, TERMIOS_SIZE, WINSIZE_SIZE};
use mello_abi::Errno;

/// Where an ioctl's pointer argument points.
pub trait ArgMemory {
    /// Copy `dst.len()` bytes from `addr`.
    fn read(&self, addr: usize, dst: &mut [u8]) -> Result<(), Errno>;
    /// Copy `src` to `addr`.
    fn write(&self, addr: usize, src: &[u8]) -> Result<(), Errno>;
}

/// The calling process's memory.
pub struct UserMemory;

impl ArgMemory for UserMemory {
    fn read(&self, addr: usize, dst: &mut [u8]) -> Result<(), Errno> {
        UserSlice::new(addr, dst.len())?.read_into(dst)
    }
    fn write(&self, addr: usize, src: &[u8]) -> Result<(), Errno> {
        UserSlice::new(addr, src.len())?.write_from(src)
    }
}

/// `ioctl(fd, cmd, arg)` on terminal `t` from a system call.
pub fn ioctl(t: &Terminal, cmd: u32, arg: usize) -> Result<usize, Errno> {
    ioctl_in(t, cmd, arg, &UserMemory)
}

/// [`ioctl`] with the pointer arguments in `mem`.
pub fn ioctl_in(t: &Terminal, cmd: u32, arg: usize, mem: &dyn ArgMemory) -> Result<usize, Errno> {
    let value = || u32::try_from(arg).map_err(|_| Errno::EINVAL);
    match cmd {
        TCGETS => mem.write(arg, &t.termios().to_bytes())?,
        TCSETS | TCSETSW | TCSETSF => {
            let mut b = [0u8; TERMIOS_SIZE];
            mem.read(arg, &mut b)?;
            // TCSETSW drains output first: ours is never queued below the ldisc.
            t.set_termios(Termios::from_bytes(&b), cmd == TCSETSF);
        }
        TIOCGWINSZ => mem.write(arg, &t.winsize().to_bytes())?,
        TIOCSWINSZ => {
            let mut b = [0u8; WINSIZE_SIZE];
            mem.read(arg, &mut b)?;
            if t.set_winsize(WinSize::from_bytes(&b)) {
                // Linux sends SIGWINCH to the foreground process group.
                crate::user::jobctl::signal_foreground(t, mello_abi::linux::signal::SIGWINCH);
            }
        }
        FIONREAD => mem.write(arg, &(t.fionread() as i32).to_le_bytes())?,
        TIOCOUTQ => mem.write(arg, &(t.output_queued() as i32).to_le_bytes())?,
        TCFLSH => t.tcflush(value()?)?,
        TCXONC => t.tcflow(value()?)?,
        // tcdrain (arg != 0) has nothing to wait for: output is sent as it
        // is written. tcsendbreak (0): Linux returns 0 for a driver without
        // `break_ctl`, which COM1's is here.
        TCSBRK => {}
        TIOCSCTTY | TIOCNOTTY | TIOCGPGRP | TIOCSPGRP | TIOCGSID => {
            return crate::user::jobctl::ioctl(t, cmd, arg);
        }
        _ => return Err(Errno::ENOTTY),
    }
    Ok(0)
}
