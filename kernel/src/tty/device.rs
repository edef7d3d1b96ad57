//! The console terminal as a character device: what `/dev/console` (5:1),
//! `/dev/tty` (5:0), `/dev/ttyS0` (4:64) and `/dev/tty1` (4:1) open. Reads
//! block in the terminal (through its pollee) unless the file is
//! non-blocking, so no file or device lock is held around them; ioctls go
//! to `tty::ioctl`. Registered by `tty::init`, before the VFS's built-in
//! devices, which leave these numbers alone once taken.

use super::terminal::Terminal;
use crate::fs::dev::{register, CharDevice, Readiness};
use crate::sched::pollee::Pollee;
use alloc::sync::Arc;
use mello_abi::Errno;

/// The device numbers served by the console terminal.
const CONSOLE_NUMBERS: [(u32, u32); 4] = [(5, 1), (5, 0), (4, 64), (4, 1)];

struct TtyDevice(&'static Terminal);

impl CharDevice for TtyDevice {
    fn read(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        self.0.read(buf, nonblock)
    }
    fn write(&self, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.0.write(data, nonblock)
    }
    fn poll(&self) -> Readiness {
        Readiness { readable: self.0.readable(), writable: self.0.writable(), hangup: false }
    }
    fn pollee(&self) -> Option<&Pollee> {
        Some(self.0.pollee())
    }
    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, Errno> {
        super::ioctl::ioctl(self.0, cmd, arg)
    }
}

/// Make `terminal` the driver of the console device numbers.
pub(super) fn register_console(terminal: &'static Terminal) {
    let dev: Arc<dyn CharDevice> = Arc::new(TtyDevice(terminal));
    for (major, minor) in CONSOLE_NUMBERS {
        register(major, minor, dev.clone());
    }
}
