//! `ttyecho`: reads the console terminal from user space, the way a shell
//! does, and reports exactly what each read returned. Run as init by the
//! `tty-user-smp2` test, which types at each `ready` line:
//!
//! 1. canonical mode (Linux's default termios): two line reads, showing
//!    the line discipline's editing (the second line is typed with DELs);
//! 2. raw mode (`ICANON`, `ECHO`, `ISIG`, `IEXTEN` off, `VMIN=1`, set with
//!    `TCSETS`): four
//!    one-byte reads, including a `^C` that arrives as a byte, not a signal;
//! 3. the original settings restored (`TCGETS` must give them back).
//!
//! Exit status 0 only if every call succeeded.
#![no_std]
#![no_main]

use mello::abi::termios::{ECHO, ECHONL, ICANON, IEXTEN, ISIG, VMIN, VTIME};
use mello::fs::{read, tcgetattr, tcsetattr};
use mello::println;

mello::entry!(main);

/// `bytes` as a Rust-style quoted string (`\n`, `\x03`).
struct Quoted<'a>(&'a [u8]);

impl core::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str("\"")?;
        for &b in self.0 {
            match b {
                b'\n' => f.write_str("\\n")?,
                b'"' | b'\\' => write!(f, "\\{}", b as char)?,
                0x20..=0x7e => write!(f, "{}", b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        f.write_str("\"")
    }
}

fn run() -> Result<(), mello::Errno> {
    let mut buf = [0u8; 128];
    for what in ["canonical", "canonical erase"] {
        println!("[TTYECHO] ready: {what}");
        let n = read(0, &mut buf)?;
        println!("[TTYECHO] {what} read: {}", Quoted(&buf[..n]));
    }
    let saved = tcgetattr(0)?;
    let mut raw = saved;
    // cfmakeraw's local flags: with ISIG still on, ^C would be SIGINT and
    // flush the input queue (Linux's n_tty), not a byte.
    raw.c_lflag &= !(ICANON | ECHO | ECHONL | ISIG | IEXTEN);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tcsetattr(0, &raw)?;
    println!("[TTYECHO] ready: raw");
    for i in 1..=4 {
        let n = read(0, &mut buf[..1])?;
        println!("[TTYECHO] raw read {i}: {} byte(s) {}", n, Quoted(&buf[..n]));
    }
    tcsetattr(0, &saved)?;
    let back = tcgetattr(0)?;
    println!("[TTYECHO] settings restored: {}", back == saved);
    Ok(())
}

fn main(_args: mello::Args) -> i32 {
    match run() {
        Ok(()) => 0,
        Err(e) => {
            println!("[TTYECHO] error: {e:?}");
            1
        }
    }
}
