//! Kernel log tests: `klog!`/`ktrace!` lines land in the ring buffer with
//! their level and Linux's syslog(2) text format, in order, and a reader
//! with a small buffer gets the newest whole lines.

use super::Test;
use crate::kassert;
use crate::kmsg;
use alloc::string::String;
use alloc::vec;

pub const TESTS: &[Test] = &[("kmsg: log lines are kept in the ring in syslog(2) format", ring_keeps_lines)];

fn ring_keeps_lines() -> Result<(), String> {
    crate::klog!("KTEST", "kmsg marker one");
    crate::ktrace!("KTEST", "kmsg marker two");
    let mut buf = vec![0u8; kmsg::size() + 64];
    let n = kmsg::read_all(&mut buf);
    let text = core::str::from_utf8(&buf[..n]).map_err(|_| String::from("ring text is not UTF-8"))?;
    let one = text.find("] [KTEST] kmsg marker one\n").ok_or("INFO line missing from the ring")?;
    let two = text.find("] [KTEST] kmsg marker two\n").ok_or("DEBUG line missing from the ring")?;
    kassert!(one < two, "lines out of order");
    let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |i| i + 1);
    kassert!(text[line_start(one)..].starts_with("<6>["), "INFO line not tagged <6>: {}", &text[line_start(one)..one + 30]);
    kassert!(text[line_start(two)..].starts_with("<7>["), "DEBUG line not tagged <7>");
    kassert!(text.starts_with('<'), "read_all does not start at a line");
    // A 100-byte reader gets only whole lines, the newest.
    let mut small = [0u8; 100];
    let m = kmsg::read_all(&mut small);
    let tail = core::str::from_utf8(&small[..m]).map_err(|_| String::from("not UTF-8"))?;
    kassert!(m > 0 && tail.ends_with("kmsg marker two\n") && tail.starts_with('<'), "small read: {tail:?}");
    Ok(())
}
