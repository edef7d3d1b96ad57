//! Behaviour the kernel needed beyond the first cut of the table: thread
//! ids from the pids' number space (allocation order, no reuse at once,
//! the `max_threads` limit, wrap-around past pid and tid alike, which
//! process a tid names), payloads built from their pid, `wait_for`'s
//! matching (any, a pid, a process group), stop/continue reports
//! (`WUNTRACED`/`WCONTINUED`, consumed unless `WNOWAIT`, never reported for
//! a zombie), `WNOWAIT` on exits, `waitid` without `WEXITED`, the auto-reap
//! of a child whose parent ignores SIGCHLD, and a status type of the
//! caller's (the kernel's `Exit`).

use proctable::{ExitNotice, Found, JobChange, Pid, ProcTable, Reaped, SpawnError, State, WaitError, WaitFor, WaitOpts, INIT_PID};

/// A payload with a process group, as the kernel's `Process` has.
#[derive(Debug, PartialEq, Eq)]
struct P {
    pid: Pid,
    pgid: Pid,
}

fn table() -> ProcTable<P> {
    let mut t = ProcTable::new(64);
    t.insert_init_with(|pid| P { pid, pgid: 0 }).unwrap();
    t
}

fn child(t: &mut ProcTable<P>, parent: Pid, pgid: Pid) -> Pid {
    t.insert_with(Some(parent), |pid| P { pid, pgid }).unwrap()
}

const UNTRACED: WaitOpts = WaitOpts { exited: true, stopped: true, continued: false, nowait: false };
const ALL: WaitOpts = WaitOpts { exited: true, stopped: true, continued: true, nowait: false };

fn group(p: &P) -> Pid {
    p.pgid
}

#[test]
fn tids_and_pids_share_one_counter() {
    let mut t = table();
    let p = child(&mut t, INIT_PID, 0);
    assert_eq!(p, 2);
    assert_eq!(t.alloc_tid(p), Ok(3), "a thread takes the next id");
    assert_eq!(t.alloc_tid(p), Ok(4));
    assert_eq!(child(&mut t, INIT_PID, 0), 5, "and the next process skips them");
    t.release_tid(3);
    assert_eq!(t.tids(), 1);
    assert_eq!(t.alloc_tid(p), Ok(6), "a released tid is not reused at once");
    assert_eq!(t.get(5).map(|e| e.pid), Some(5), "insert_with hands the payload its pid");
}

#[test]
fn a_tid_names_its_process() {
    let mut t = table();
    let p = child(&mut t, INIT_PID, 0);
    let tid = t.alloc_tid(p).unwrap();
    assert_eq!(t.thread_group_of(tid), Some(p));
    assert_eq!(t.thread_group_of(p), Some(p), "a pid names its first thread");
    assert_eq!(t.thread_group_of(99), None);
    t.exit(p, 0).unwrap();
    t.wait(INIT_PID, WaitFor::Pid(p)).unwrap();
    assert_eq!(t.thread_group_of(tid), None, "its process is gone");
    t.release_tid(tid);
    assert_eq!(t.tids(), 0);
}

#[test]
fn the_thread_limit_refuses_and_leaves_processes_be() {
    let mut t: ProcTable<()> = ProcTable::with_limits(4, 2, Pid::MAX);
    t.insert_init(()).unwrap();
    assert_eq!((t.alloc_tid(1), t.alloc_tid(1)), (Ok(2), Ok(3)));
    assert_eq!(t.alloc_tid(1), Err(SpawnError::Full));
    assert_eq!(t.insert(Some(1), ()), Ok(4), "threads do not count against max_procs");
    t.release_tid(2);
    assert_eq!(t.alloc_tid(1), Ok(5));
}

#[test]
fn ids_wrap_past_pids_and_tids_alike() {
    let mut t: ProcTable<()> = ProcTable::with_pid_max(64, 5);
    t.insert_init(()).unwrap();
    assert_eq!(t.insert(Some(1), ()), Ok(2));
    assert_eq!(t.alloc_tid(2), Ok(3));
    assert_eq!(t.insert(Some(1), ()), Ok(4));
    assert_eq!(t.alloc_tid(2), Ok(5));
    assert_eq!(t.alloc_tid(2), Err(SpawnError::NoPid), "2..=5 all taken");
    assert_eq!(t.insert(Some(1), ()), Err(SpawnError::NoPid));
    t.release_tid(3);
    assert_eq!(t.insert(Some(1), ()), Ok(3), "wrapped to 2 (a pid), found the freed tid");
}

#[test]
fn make_runs_only_when_the_insert_succeeds() {
    let mut t: ProcTable<u8> = ProcTable::new(1);
    assert_eq!(t.insert_init_with(|pid| pid as u8), Ok(1));
    let mut called = false;
    assert_eq!(t.insert_with(Some(1), |_| { called = true; 0 }), Err(SpawnError::Full));
    assert_eq!(t.insert_init_with(|_| { called = true; 0 }), Err(SpawnError::InitExists));
    assert!(!called);
}

#[test]
fn wait_matches_any_a_pid_or_a_group() {
    let mut t = table();
    let parent = child(&mut t, INIT_PID, 0);
    let a = child(&mut t, parent, 10);
    let b = child(&mut t, parent, 20);
    let c = child(&mut t, parent, 20);
    t.exit(c, 3).unwrap();
    t.exit(a, 1).unwrap();
    let found = |t: &mut ProcTable<P>, which| t.wait_for(parent, which, WaitOpts::EXITED, group).map(|f| match f {
        Found::Exited { pid, status, payload } => (pid, status, payload.map(|p| p.pid)),
        Found::Job { .. } => panic!("no job reports asked for"),
    });
    assert_eq!(found(&mut t, WaitFor::Group(30)), Err(WaitError::NoChild), "nobody in group 30");
    assert_eq!(found(&mut t, WaitFor::Group(20)), Ok((c, 3, Some(c))), "b runs: c, though a is lower");
    assert_eq!(found(&mut t, WaitFor::Group(20)), Err(WaitError::WouldBlock), "b is left");
    assert_eq!(found(&mut t, WaitFor::Pid(b)), Err(WaitError::WouldBlock));
    assert_eq!(found(&mut t, WaitFor::Any), Ok((a, 1, Some(a))));
    assert_eq!(found(&mut t, WaitFor::Group(10)), Err(WaitError::NoChild), "a is reaped");
    assert_eq!(t.children(parent).collect::<Vec<_>>(), [b]);
}

#[test]
fn stop_reports_need_wuntraced_and_are_consumed() {
    let mut t = table();
    let c = child(&mut t, INIT_PID, 0);
    assert_eq!(t.report_job(c, JobChange::Stopped(19)), Some(INIT_PID), "its parent, to wake");
    assert_eq!(t.wait_for(INIT_PID, WaitFor::Any, WaitOpts::EXITED, group), Err(WaitError::WouldBlock));
    let cont_only = WaitOpts { exited: true, stopped: false, continued: true, nowait: false };
    assert_eq!(t.wait_for(INIT_PID, WaitFor::Any, cont_only, group), Err(WaitError::WouldBlock), "a stop is no continue");
    let peek = WaitOpts { nowait: true, ..UNTRACED };
    assert_eq!(t.wait_for(INIT_PID, WaitFor::Any, peek, group), Ok(Found::Job { pid: c, change: JobChange::Stopped(19) }));
    assert_eq!(t.job_report(c), Some(JobChange::Stopped(19)), "WNOWAIT leaves it");
    assert_eq!(t.wait_for(INIT_PID, WaitFor::Pid(c), UNTRACED, group), Ok(Found::Job { pid: c, change: JobChange::Stopped(19) }));
    assert_eq!(t.job_report(c), None, "consumed");
    assert_eq!(t.wait_for(INIT_PID, WaitFor::Any, UNTRACED, group), Err(WaitError::WouldBlock));
    assert_eq!(t.state(c), Some(State::Running), "a report reaps nothing");
}

#[test]
fn a_continue_replaces_an_unconsumed_stop() {
    let mut t = table();
    let c = child(&mut t, INIT_PID, 0);
    t.report_job(c, JobChange::Stopped(20));
    t.report_job(c, JobChange::Continued);
    assert_eq!(t.wait_for(INIT_PID, WaitFor::Any, UNTRACED, group), Err(WaitError::WouldBlock), "the stop is gone");
    assert_eq!(t.wait_for(INIT_PID, WaitFor::Any, ALL, group), Ok(Found::Job { pid: c, change: JobChange::Continued }));
    assert_eq!(t.report_job(99, JobChange::Continued), None, "no such process: nothing");
}

#[test]
fn the_lowest_pid_with_something_to_report_wins() {
    let mut t = table();
    let stopped = child(&mut t, INIT_PID, 0);
    let dead = child(&mut t, INIT_PID, 0);
    t.report_job(stopped, JobChange::Stopped(19));
    t.exit(dead, 5).unwrap();
    assert_eq!(t.wait_for(INIT_PID, WaitFor::Any, ALL, group), Ok(Found::Job { pid: stopped, change: JobChange::Stopped(19) }));
    let r = t.wait_for(INIT_PID, WaitFor::Any, ALL, group).unwrap();
    assert_eq!(r, Found::Exited { pid: dead, status: 5, payload: Some(P { pid: dead, pgid: 0 }) });
}

#[test]
fn a_zombie_reports_its_exit_never_its_job_report() {
    let mut t = table();
    let c = child(&mut t, INIT_PID, 0);
    t.report_job(c, JobChange::Stopped(19));
    t.exit(c, 9).unwrap();
    let no_exits = WaitOpts { exited: false, stopped: true, continued: true, nowait: false };
    assert_eq!(t.wait_for(INIT_PID, WaitFor::Any, no_exits, group), Err(WaitError::WouldBlock), "waitid without WEXITED");
    assert!(matches!(t.wait_for(INIT_PID, WaitFor::Any, ALL, group), Ok(Found::Exited { pid, status: 9, payload: Some(_) }) if pid == c));
}

#[test]
fn wnowait_peeks_at_an_exit() {
    let mut t = table();
    let c = child(&mut t, INIT_PID, 0);
    t.exit(c, 4).unwrap();
    let peek = WaitOpts { nowait: true, ..WaitOpts::EXITED };
    for _ in 0..2 {
        assert_eq!(t.wait_for(INIT_PID, WaitFor::Pid(c), peek, group), Ok(Found::Exited { pid: c, status: 4, payload: None }));
        assert_eq!(t.state(c), Some(State::Zombie(4)), "still there");
    }
    assert_eq!(t.wait(INIT_PID, WaitFor::Any).map(|r| r.pid), Ok(c));
    assert_eq!(t.wait_for(INIT_PID, WaitFor::Pid(c), peek, group), Err(WaitError::NoChild));
}

#[test]
fn autoreap_removes_the_zombie_at_exit() {
    let mut t = table();
    let parent = child(&mut t, INIT_PID, 0);
    let c = child(&mut t, parent, 0);
    let grandchild = child(&mut t, c, 0);
    let (notice, reaped) = t.exit_with(c, 7, true).unwrap();
    assert_eq!(notice, ExitNotice { parent: Some(parent), wake_init: false, orphans: 1 });
    assert_eq!(reaped, Some(Reaped { pid: c, status: 7, payload: P { pid: c, pgid: 0 } }));
    assert_eq!(t.state(c), None, "nobody ever sees the zombie");
    assert_eq!(t.parent(grandchild), Some(INIT_PID), "its orphans still went to init");
    assert_eq!(t.wait(parent, WaitFor::Any), Err(WaitError::NoChild), "ECHILD, as Linux's SIG_IGN");
    let (_, kept) = t.exit_with(parent, 0, false).unwrap();
    assert!(kept.is_none());
    assert_eq!(t.state(parent), Some(State::Zombie(0)));
}

#[test]
fn autoreap_leaves_a_parentless_zombie_for_reap_parentless() {
    let mut t: ProcTable<()> = ProcTable::new(8);
    let daemon = t.insert(None, ()).unwrap();
    let (notice, reaped) = t.exit_with(daemon, 1, true).unwrap();
    assert_eq!((notice.parent, reaped), (None, None));
    assert_eq!(t.reap_parentless(daemon).map(|r| r.status), Some(1));
}

/// The kernel's status type: how a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exit {
    Code(u8),
    Signal { sig: u32, core: bool },
}

#[test]
fn the_status_type_is_the_callers() {
    let mut t: ProcTable<&str, Exit> = ProcTable::new(8);
    t.insert_init("init").unwrap();
    let a = t.insert(Some(INIT_PID), "a").unwrap();
    let b = t.insert(Some(INIT_PID), "b").unwrap();
    t.exit(a, Exit::Signal { sig: 9, core: false }).unwrap();
    t.exit(b, Exit::Code(3)).unwrap();
    assert_eq!(t.state(a), Some(State::Zombie(Exit::Signal { sig: 9, core: false })));
    assert_eq!(t.wait(INIT_PID, WaitFor::Any).map(|r| r.status), Ok(Exit::Signal { sig: 9, core: false }));
    assert_eq!(t.wait(INIT_PID, WaitFor::Any).map(|r| (r.pid, r.status, r.payload)), Ok((b, Exit::Code(3), "b")));
}

#[test]
fn random_threads_reports_and_waits_keep_the_invariants() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    let mut t: ProcTable<P> = ProcTable::with_limits(10, 6, 30);
    t.insert_init_with(|pid| P { pid, pgid: 0 }).unwrap();
    let mut tids: Vec<Pid> = Vec::new();
    let mut reports = 0;
    for step in 0..20_000 {
        let pids: Vec<Pid> = t.iter().map(|(p, _)| p).collect();
        let pick = pids[rnd(pids.len())];
        match rnd(6) {
            0 => {
                let _ = t.insert_with(Some(pick), |pid| P { pid, pgid: rnd(3) });
            }
            1 => match t.alloc_tid(pick) {
                Ok(tid) => {
                    assert!(!pids.contains(&tid) && !tids.contains(&tid), "step {step}: {tid} handed out twice");
                    tids.push(tid);
                }
                Err(e) => assert!(e == SpawnError::NoPid || tids.len() == 6, "step {step}: {e:?}"),
            },
            2 if !tids.is_empty() => t.release_tid(tids.swap_remove(rnd(tids.len()))),
            3 if pick != INIT_PID => {
                let _ = t.exit_with(pick, pick as i32, rnd(4) == 0);
            }
            4 => {
                let change = if rnd(2) == 0 { JobChange::Stopped(19) } else { JobChange::Continued };
                t.report_job(pick, change);
            }
            _ => {
                let which = [WaitFor::Any, WaitFor::Pid(pids[rnd(pids.len())]), WaitFor::Group(rnd(3))][rnd(3)];
                let opts = WaitOpts { exited: rnd(4) != 0, stopped: rnd(2) == 0, continued: rnd(2) == 0, nowait: rnd(4) == 0 };
                match t.wait_for(pick, which, opts, group) {
                    Ok(Found::Exited { pid, status, payload }) => {
                        assert_eq!(status, pid as i32, "step {step}");
                        assert_eq!(payload.is_none(), opts.nowait);
                        assert_eq!(t.state(pid).is_none(), !opts.nowait);
                    }
                    Ok(Found::Job { pid, change }) => {
                        reports += 1;
                        assert_eq!(t.state(pid), Some(State::Running));
                        assert_eq!(t.job_report(pid) == Some(change), opts.nowait, "step {step}");
                    }
                    Err(_) => {}
                }
            }
        }
        assert!(t.len() <= 10 && t.tids() <= 6);
        for (pid, p) in t.iter() {
            assert_eq!(p.pid, pid);
            assert!(!tids.contains(&pid), "step {step}: {pid} is a pid and a tid");
            if let Some(parent) = t.parent(pid) {
                assert!(parent != pid && t.state(parent).is_some(), "step {step}");
            }
        }
    }
    assert!(reports > 30, "the walk saw {reports} job reports");
}
