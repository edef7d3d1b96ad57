//! Kernel log tests: `klog!`/`ktrace!` lines land in the ring buffer with
//! their level and Linux's syslog(2) text format, in order, and a reader
//! with a small buffer gets the newest whole lines; the consuming reader
//! (`/proc/kmsg`, `syslog(READ)`) gives each record to one reader once.

use super::helpers::*;
use super::Test;
use crate::kassert;
use crate::kmsg;
use crate::sched::Priority;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use mello_abi::Errno;

pub const TESTS: &[Test] = &[
    ("kmsg: log lines are kept in the ring in syslog(2) format", ring_keeps_lines),
    ("kmsg: blocked consuming readers on all CPUs get each new record once", readers_share_records),
];

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

const READERS: usize = 4;
const LINES: usize = 50;

/// Proves: with everything read, a non-blocking read is `EAGAIN`; then
/// four readers blocked in `read_unread` (one per CPU where there are
/// enough) are woken by the tick after records arrive, and of 50 lines
/// logged meanwhile each reaches exactly one of them.
fn readers_share_records() -> Result<(), String> {
    need_timer()?;
    let mut buf = vec![0u8; kmsg::BUFFER_BYTES * 2];
    while kmsg::read_unread(&mut buf, true).is_ok_and(|n| n > 0) {}
    kassert!(kmsg::read_unread(&mut buf, true) == Err(Errno::EAGAIN), "a non-blocking read with nothing unread was not EAGAIN");
    let seen: Arc<[AtomicUsize; LINES]> = Arc::new([const { AtomicUsize::new(0) }; LINES]);
    let (stop, exited) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let cpus = online_cpus();
    for r in 0..READERS {
        let (seen, stop, exited) = (seen.clone(), stop.clone(), exited.clone());
        spawn_on(cpus[r % cpus.len()], "kmsg-reader", Priority::Normal, move || {
            let mut buf = vec![0u8; 4096];
            while !stop.load(Acquire) {
                let Ok(n) = kmsg::read_unread(&mut buf, false) else { break };
                for line in buf[..n].split(|&b| b == b'\n') {
                    if let Some(i) = marker(line) {
                        seen[i].fetch_add(1, Relaxed);
                    }
                }
            }
            exited.fetch_add(1, Release);
        })?;
    }
    for i in 0..LINES {
        crate::ktrace!("KTEST", "kmsg reader line {i}.");
    }
    wait_until(100, "the readers to take all 50 lines", || seen.iter().all(|c| c.load(Relaxed) > 0))?;
    stop.store(true, Release);
    // Each blocked reader needs a new record (and the tick after it) to see `stop`.
    wait_until(100, "the readers to stop", || {
        crate::ktrace!("KTEST", "kmsg readers: stop");
        crate::sched::sleep::sleep(1);
        exited.load(Acquire) == READERS
    })?;
    let counts: Vec<usize> = seen.iter().map(|c| c.load(Relaxed)).collect();
    kassert!(counts.iter().all(|&c| c == 1), "times each line was read (want 1 each): {counts:?}");
    Ok(())
}

/// The `i` of a `kmsg reader line {i}.` record.
fn marker(line: &[u8]) -> Option<usize> {
    let text = core::str::from_utf8(line).ok()?;
    let at = text.find("kmsg reader line ")? + "kmsg reader line ".len();
    text[at..].strip_suffix('.')?.parse().ok().filter(|&i| i < LINES)
}
