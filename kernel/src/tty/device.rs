//! The terminals as character devices: `/dev/console` (5:1), `/dev/ttyS0`
//! (4:64) and `/dev/tty1` (4:1) each forward to one fixed terminal
//! (`/dev/console`'s is the one `console=` chose, so it may be the same
//! object as ttyS0's or tty1's); `/dev/tty` (5:0) to the caller's
//! controlling terminal, looked up on every call (`tty::controlling`).
//! Reads block in the terminal (through its pollee) unless the file is
//! non-blocking, so no file or device lock is held around them; ioctls go
//! to `tty::ioctl`. Registered by `tty::init`, before the VFS's built-in
//! devices, which leave these numbers alone once taken.

use super::terminal::Terminal;
use crate::fs::dev::{register, CharDevice, Readiness};
use crate::sched::pollee::Pollee;
use alloc::sync::Arc;
use mello_abi::Errno;

/// Which terminal a device number reaches.
enum Which {
    Fixed(&'static Terminal),
    /// `/dev/tty`.
    Controlling,
}

struct TtyDevice(Which);

impl TtyDevice {
    fn t(&self) -> &'static Terminal {
        match self.0 {
            Which::Fixed(t) => t,
            Which::Controlling => super::controlling(),
        }
    }
}

impl CharDevice for TtyDevice {
    fn read(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        self.t().read(buf, nonblock)
    }
    fn write(&self, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.t().write(data, nonblock)
    }
    fn poll(&self) -> Readiness {
        let t = self.t();
        Readiness { readable: t.readable(), writable: t.writable(), hangup: false }
    }
    fn pollee(&self) -> Option<&Pollee> {
        Some(self.t().pollee())
    }
    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, Errno> {
        super::ioctl::ioctl(self.t(), cmd, arg)
    }
}

/// Register the terminal devices: `console` behind 5:1, `serial` behind
/// 4:64, `screen` behind 4:1, and `/dev/tty`.
pub(super) fn register_all(console: &'static Terminal, serial: &'static Terminal, screen: &'static Terminal) {
    for (major, minor, which) in [
        (5, 1, Which::Fixed(console)),
        (4, 64, Which::Fixed(serial)),
        (4, 1, Which::Fixed(screen)),
        (5, 0, Which::Controlling),
    ] {
        let dev: Arc<dyn CharDevice> = Arc::new(TtyDevice(which));
        register(major, minor, dev);
    }
}
