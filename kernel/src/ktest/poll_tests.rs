//! The `POLL` group: the blocking wait behind `poll`/`select`
//! (`fs::poll::PollSet::wait`) really blocks and is woken by the right
//! event: a pipe written by another task (on any CPU), and the timeout's
//! scheduler tick; a wait woken by data leaves no timeout behind that could
//! later wake the task from an unrelated sleep.

use super::helpers::{need_timer, spawn, wait_until, LATE};
use crate::fs::file::{Kind, OpenFile};
use crate::fs::pipe::new_pipe;
use crate::fs::poll::{PollEntry, PollSet};
use crate::fs::rw::Src;
use crate::sched::sleep::{now, sleep};
use crate::sched::task::TaskState;
use crate::sched::{self, Priority};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, Ordering::*};
use mello_abi::fs::{O_RDONLY, POLLIN};

pub const TESTS: &[crate::selftest::Test] = &[
    ("poll: a pipe written by another task wakes the waiter", pipe_wakes),
    ("poll: the timeout wakes a blocked waiter", timeout_wakes),
];

fn set_of(file: &Arc<OpenFile>) -> PollSet {
    let mut set = PollSet::default();
    set.entries.push(PollEntry { file: Some(file.clone()), events: POLLIN, skip: false, revents: 0 });
    set
}

fn pipe_wakes() -> Result<(), String> {
    need_timer()?;
    let (r, w) = new_pipe();
    let reader = OpenFile::new(Kind::Pipe(r), O_RDONLY);
    let me = sched::current();
    let saw_blocked = Arc::new(AtomicBool::new(false));
    let flag = saw_blocked.clone();
    spawn("poll-writer", Priority::Normal, move || {
        // Wait for the poller to be blocked (not spinning), then write.
        let _ = wait_until(LATE * 4, "the poller to block", || me.state() == TaskState::Blocked);
        flag.store(me.state() == TaskState::Blocked, SeqCst);
        let _ = w.write(Src::Kernel(b"x"), 1, false);
    })?;
    let start = now();
    let mut set = set_of(&reader);
    let n = set.wait(None).map_err(|e| format!("wait: {}", e.name()))?;
    if n != 1 || set.entries[0].revents & POLLIN == 0 {
        return Err(format!("{} ready, revents {:#x}", n, set.entries[0].revents));
    }
    if !saw_blocked.load(SeqCst) {
        return Err(format!("the poller was never seen blocked ({} ticks)", now() - start));
    }
    Ok(())
}

fn timeout_wakes() -> Result<(), String> {
    need_timer()?;
    let (r, _w) = new_pipe();
    let reader = OpenFile::new(Kind::Pipe(r), O_RDONLY);
    let me = sched::current();
    let saw_blocked = Arc::new(AtomicBool::new(false));
    let flag = saw_blocked.clone();
    spawn("poll-watcher", Priority::Normal, move || {
        let _ = wait_until(LATE * 4, "the poller to block", || me.state() == TaskState::Blocked);
        flag.store(me.state() == TaskState::Blocked, SeqCst);
    })?;
    let start = now();
    let mut set = set_of(&reader);
    let n = set.wait(Some(start + 5)).map_err(|e| format!("wait: {}", e.name()))?;
    let waited = now() - start;
    if n != 0 {
        return Err(format!("{} ready on an empty pipe", n));
    }
    if !(5..=5 + LATE * 4).contains(&waited) {
        return Err(format!("woke after {} ticks, wanted 5", waited));
    }
    if !saw_blocked.load(SeqCst) {
        return Err(String::from("the poller was never seen blocked"));
    }
    // Woken early by data: the armed timeout must be gone, so a later
    // plain sleep lasts its full length.
    let (r2, w2) = new_pipe();
    let me = sched::current();
    spawn("poll-writer2", Priority::Normal, move || {
        let _ = wait_until(LATE * 4, "the poller to block", || me.state() == TaskState::Blocked);
        let _ = w2.write(Src::Kernel(b"y"), 1, false);
    })?;
    let mut ready = set_of(&OpenFile::new(Kind::Pipe(r2), O_RDONLY));
    let t0 = now();
    let deadline = t0 + 2 * LATE;
    if ready.wait(Some(deadline)).ok() != Some(1) {
        return Err(String::from("the written pipe was not reported"));
    }
    if now() >= deadline {
        return Err(String::from("the data did not wake the poller before its deadline"));
    }
    let t1 = now();
    sleep(deadline - t1 + 4);
    if now() - t1 < deadline - t1 + 4 {
        return Err(String::from("a sleep ended early: a stale timeout woke it"));
    }
    Ok(())
}
