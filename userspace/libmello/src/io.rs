//! Console output: [`print!`]/[`println!`] to fd 1, [`eprint!`]/
//! [`eprintln!`] to fd 2.
//!
//! Formatting goes into a 512-byte buffer on the stack that is written with
//! one `write` per call (more only for longer output), so a line printed by
//! one process is not split by another's output.

use crate::sys::write;
use core::fmt;

const BUF: usize = 512;

/// Buffered writer for one file descriptor; flushes when full and on drop.
pub struct Writer {
    fd: usize,
    len: usize,
    buf: [u8; BUF],
}

impl Writer {
    /// A writer for `fd` with an empty buffer.
    pub const fn new(fd: usize) -> Self {
        Writer { fd, len: 0, buf: [0; BUF] }
    }

    /// Writes out everything buffered (retrying short writes; errors drop
    /// the rest, as there is nowhere to report them).
    pub fn flush(&mut self) {
        write_all(self.fd, &self.buf[..self.len]);
        self.len = 0;
    }
}

impl fmt::Write for Writer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut bytes = s.as_bytes();
        while !bytes.is_empty() {
            if self.len == BUF {
                self.flush();
            }
            let n = bytes.len().min(BUF - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
        }
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Writes all of `bytes` to `fd`, retrying short writes; stops on error.
pub fn write_all(fd: usize, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        match write(fd, bytes) {
            Ok(n) if n > 0 && n <= bytes.len() => bytes = &bytes[n..],
            _ => return,
        }
    }
}

#[doc(hidden)]
pub fn _print(fd: usize, args: fmt::Arguments) {
    let mut w = Writer::new(fd);
    let _ = fmt::Write::write_fmt(&mut w, args);
}

/// Prints to standard output (fd 1).
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::io::_print(1, format_args!($($arg)*)) };
}

/// Prints a line to standard output (fd 1).
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::io::_print(1, format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints to standard error (fd 2).
#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::io::_print(2, format_args!($($arg)*)) };
}

/// Prints a line to standard error (fd 2).
#[macro_export]
macro_rules! eprintln {
    () => { $crate::eprint!("\n") };
    ($($arg:tt)*) => { $crate::io::_print(2, format_args!("{}\n", format_args!($($arg)*))) };
}
