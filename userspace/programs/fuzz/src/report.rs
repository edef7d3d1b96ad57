//! Where the fuzzer's lines go: a private descriptor ([`REPORT_FD`]) on the
//! console, so that random `close`/`dup2` calls on 0, 1 and 2 (which the
//! workers point at `/dev/null`) cannot silence it. Every line is one
//! `write`, so lines of concurrent workers do not interleave.
//!
//! A finding is printed as `[FUZZ] FINDING seed=S worker=W call=N: ...`,
//! which is all it takes to replay it (`fuzz seed=S` runs the same call
//! sequence in worker W).

use alloc::string::String;
use core::fmt::Write;

/// The console, duplicated high; the argument pools never produce it.
pub const REPORT_FD: usize = 1000;

/// Print one line (a `[FUZZ] ` prefix and a newline are added).
pub fn line(args: core::fmt::Arguments) {
    let mut s = String::from("[FUZZ] ");
    let _ = s.write_fmt(args);
    s.push('\n');
    let mut bytes = s.as_bytes();
    while !bytes.is_empty() {
        match mello::write(REPORT_FD, bytes) {
            Ok(n) if n > 0 => bytes = &bytes[n..],
            _ => break,
        }
    }
}

#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::report::line(format_args!($($arg)*)) };
}
