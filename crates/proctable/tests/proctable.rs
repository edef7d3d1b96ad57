//! Behaviour of the process table: pid allocation (init is 1, others
//! count up from 2 and skip used pids; reuse only after wrapping at
//! `pid_max`), the process limit (zombies count), parent/child links,
//! exit → zombie with status, wait for a specific child vs any child
//! (NoChild / WouldBlock), re-parenting of orphans to init (including
//! zombie orphans, which init then reaps), and parentless processes.

use proctable::{ExitError, ExitNotice, Pid, ProcTable, Reaped, SpawnError, State, WaitError, WaitFor, INIT_PID};

/// A table with init (payload "init") and `n` children of init.
fn with_init(max: usize, n: usize) -> (ProcTable<String>, Vec<Pid>) {
    let mut t = ProcTable::new(max);
    assert_eq!(t.insert_init("init".into()), Ok(INIT_PID));
    let kids = (0..n).map(|i| t.insert(Some(INIT_PID), format!("c{i}")).unwrap()).collect();
    (t, kids)
}

#[test]
fn pids_count_up_from_two_and_are_not_reused_at_once() {
    let (mut t, kids) = with_init(64, 3);
    assert_eq!(kids, [2, 3, 4]);
    t.exit(3, 0).unwrap();
    assert_eq!(t.wait(INIT_PID, WaitFor::Pid(3)).unwrap().pid, 3);
    assert_eq!(t.insert(Some(INIT_PID), "d".into()), Ok(5), "3 is free but the counter moved on");
    assert_eq!(t.get(5).map(String::as_str), Some("d"));
    assert_eq!(t.insert_init("again".into()), Err(SpawnError::InitExists));
}

#[test]
fn pids_wrap_at_pid_max_and_skip_used_ones() {
    let mut t: ProcTable<()> = ProcTable::with_pid_max(64, 6);
    t.insert_init(()).unwrap();
    let first: Vec<Pid> = (0..5).map(|_| t.insert(Some(1), ()).unwrap()).collect();
    assert_eq!(first, [2, 3, 4, 5, 6]);
    assert_eq!(t.insert(Some(1), ()), Err(SpawnError::NoPid), "2..=6 all taken");
    for pid in [3, 5] {
        t.exit(pid, 0).unwrap();
        t.wait(1, WaitFor::Pid(pid)).unwrap();
    }
    // After 6 the counter wraps to 2 (taken), then finds 3, then 5.
    assert_eq!(t.insert(Some(1), ()), Ok(3));
    assert_eq!(t.insert(Some(1), ()), Ok(5));
    assert_eq!(t.insert(Some(1), ()), Err(SpawnError::NoPid));
}

#[test]
fn full_table_refuses_and_zombies_hold_their_slot() {
    let (mut t, kids) = with_init(4, 3);
    assert_eq!(t.len(), 4);
    assert_eq!(t.insert(Some(INIT_PID), "x".into()), Err(SpawnError::Full));
    t.exit(kids[0], 1).unwrap();
    assert_eq!(t.insert(Some(INIT_PID), "x".into()), Err(SpawnError::Full), "a zombie still counts");
    t.wait(INIT_PID, WaitFor::Any).unwrap();
    assert_eq!(t.insert(Some(INIT_PID), "x".into()), Ok(5));
    let mut empty: ProcTable<()> = ProcTable::new(0);
    assert_eq!(empty.insert_init(()), Err(SpawnError::Full));
    assert!(empty.is_empty());
}

#[test]
fn parents_must_be_running() {
    let (mut t, kids) = with_init(8, 1);
    assert_eq!(t.insert(Some(42), "x".into()), Err(SpawnError::NoParent));
    t.exit(kids[0], 0).unwrap();
    assert_eq!(t.insert(Some(kids[0]), "x".into()), Err(SpawnError::NoParent), "a zombie cannot fork");
    assert_eq!(t.len(), 2, "refusals change nothing");
}

#[test]
fn links_and_exit_to_zombie() {
    let (mut t, kids) = with_init(8, 2);
    let grandchild = t.insert(Some(kids[0]), "g".into()).unwrap();
    assert_eq!(t.parent(grandchild), Some(kids[0]));
    assert_eq!(t.children(INIT_PID).collect::<Vec<_>>(), kids);
    assert_eq!(t.children(kids[0]).collect::<Vec<_>>(), [grandchild]);
    let notice = t.exit(grandchild, 7).unwrap();
    assert_eq!(notice, ExitNotice { parent: Some(kids[0]), wake_init: false, orphans: 0 });
    assert_eq!(t.state(grandchild), Some(State::Zombie(7)));
    assert_eq!(t.exit(grandchild, 8), Err(ExitError::AlreadyZombie));
    assert_eq!(t.exit(99, 0), Err(ExitError::NoSuchProcess));
    assert_eq!(t.state(grandchild), Some(State::Zombie(7)), "the first status stays");
}

#[test]
fn wait_for_a_specific_child() {
    let (mut t, kids) = with_init(8, 3);
    t.exit(kids[2], 30).unwrap();
    assert_eq!(t.wait(INIT_PID, WaitFor::Pid(kids[0])), Err(WaitError::WouldBlock), "running: block");
    assert_eq!(t.wait(INIT_PID, WaitFor::Pid(77)), Err(WaitError::NoChild));
    assert_eq!(t.wait(kids[1], WaitFor::Pid(kids[2])), Err(WaitError::NoChild), "not its child");
    let r = t.wait(INIT_PID, WaitFor::Pid(kids[2])).unwrap();
    assert_eq!(r, Reaped { pid: kids[2], status: 30, payload: "c2".to_string() });
    assert_eq!(t.state(kids[2]), None, "reaped: gone");
    assert_eq!(t.wait(INIT_PID, WaitFor::Pid(kids[2])), Err(WaitError::NoChild), "only once");
}

#[test]
fn wait_for_any_child() {
    let (mut t, kids) = with_init(8, 3);
    assert_eq!(t.wait(INIT_PID, WaitFor::Any), Err(WaitError::WouldBlock));
    assert_eq!(t.wait(kids[0], WaitFor::Any), Err(WaitError::NoChild), "childless");
    t.exit(kids[2], 2).unwrap();
    t.exit(kids[1], 1).unwrap();
    let order: Vec<(Pid, i32)> =
        (0..2).map(|_| t.wait(INIT_PID, WaitFor::Any).map(|r| (r.pid, r.status)).unwrap()).collect();
    assert_eq!(order, [(kids[1], 1), (kids[2], 2)], "lowest pid first");
    assert_eq!(t.wait(INIT_PID, WaitFor::Any), Err(WaitError::WouldBlock), "kids[0] still runs");
    t.exit(kids[0], -1).unwrap();
    assert_eq!(t.wait(INIT_PID, WaitFor::Any).unwrap().status, -1);
    assert_eq!(t.wait(INIT_PID, WaitFor::Any), Err(WaitError::NoChild));
}

#[test]
fn orphans_go_to_init_and_zombie_orphans_wake_it() {
    let (mut t, kids) = with_init(16, 1);
    let parent = kids[0];
    let running = t.insert(Some(parent), "r".into()).unwrap();
    let dead = t.insert(Some(parent), "z".into()).unwrap();
    t.exit(dead, 9).unwrap();
    let notice = t.exit(parent, 0).unwrap();
    assert_eq!(notice, ExitNotice { parent: Some(INIT_PID), wake_init: true, orphans: 2 });
    assert_eq!((t.parent(running), t.parent(dead)), (Some(INIT_PID), Some(INIT_PID)));
    assert_eq!(t.children(parent).count(), 0, "a zombie has no children");
    // Init reaps its own child and the inherited zombie; the orphan later.
    let mut reaped: Vec<Pid> = Vec::new();
    while let Ok(r) = t.wait(INIT_PID, WaitFor::Any) {
        reaped.push(r.pid);
    }
    assert_eq!(reaped, [parent, dead]);
    assert_eq!(t.wait(INIT_PID, WaitFor::Any), Err(WaitError::WouldBlock));
    let n = t.exit(running, 3).unwrap();
    assert_eq!(n.parent, Some(INIT_PID), "init is now the one to wake");
    assert_eq!(t.wait(INIT_PID, WaitFor::Pid(running)).unwrap().status, 3);
}

#[test]
fn orphans_of_only_running_children_do_not_wake_init() {
    let (mut t, kids) = with_init(16, 1);
    t.insert(Some(kids[0]), "r".into()).unwrap();
    let notice = t.exit(kids[0], 0).unwrap();
    assert!(!notice.wake_init);
    assert_eq!(notice.orphans, 1);
}

#[test]
fn without_init_orphans_become_parentless() {
    let mut t: ProcTable<&str> = ProcTable::new(8);
    let daemon = t.insert(None, "kernel-run").unwrap();
    assert_eq!(daemon, 2);
    let child = t.insert(Some(daemon), "child").unwrap();
    assert_eq!(t.reap_parentless(daemon), None, "still running");
    t.exit(child, 4).unwrap();
    assert_eq!(t.reap_parentless(child), None, "its parent will reap it");
    let grandchild = t.insert(Some(daemon), "gc").unwrap();
    let notice = t.exit(daemon, 5).unwrap();
    assert_eq!(notice, ExitNotice { parent: None, wake_init: false, orphans: 2 });
    assert_eq!(t.parent(child), None);
    assert_eq!(t.reap_parentless(daemon).map(|r| (r.status, r.payload)), Some((5, "kernel-run")));
    assert_eq!(t.reap_parentless(child).map(|r| r.status), Some(4));
    assert_eq!(t.state(grandchild), Some(State::Running));
}

#[test]
fn when_init_exits_its_children_become_parentless() {
    let (mut t, kids) = with_init(8, 2);
    t.exit(kids[0], 1).unwrap();
    let notice = t.exit(INIT_PID, 0).unwrap();
    assert_eq!(notice, ExitNotice { parent: None, wake_init: false, orphans: 2 });
    assert_eq!(t.children(INIT_PID).count(), 0);
    assert_eq!(t.reap_parentless(kids[0]).map(|r| r.pid), Some(kids[0]));
    assert_eq!(t.reap_parentless(INIT_PID).map(|r| r.payload), Some("init".to_string()));
}

#[test]
fn payloads_are_mutable_and_listed() {
    let (mut t, kids) = with_init(8, 2);
    t.get_mut(kids[1]).unwrap().push('!');
    let all: Vec<(Pid, &str)> = t.iter().map(|(p, s)| (p, s.as_str())).collect();
    assert_eq!(all, [(1, "init"), (2, "c0"), (3, "c1!")]);
    assert!(t.get(9).is_none() && t.get_mut(9).is_none());
}

#[test]
fn random_operations_keep_the_invariants() {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    // Payload: the status the process will exit with, so a reap can be checked.
    let mut t: ProcTable<i32> = ProcTable::with_pid_max(12, 40);
    t.insert_init(0).unwrap();
    let mut reaped = 0;
    for step in 0..20_000 {
        let pids: Vec<Pid> = t.iter().map(|(p, _)| p).collect();
        let pick = pids[rnd(pids.len())];
        match rnd(3) {
            0 => match t.insert(Some(pick), rnd(256) as i32) {
                Ok(pid) => assert!((2..=40).contains(&pid) && !pids.contains(&pid)),
                Err(SpawnError::Full) => assert_eq!(pids.len(), 12),
                Err(SpawnError::NoParent) => assert!(matches!(t.state(pick), Some(State::Zombie(_)))),
                Err(e) => panic!("step {step}: {e:?}"),
            },
            1 if pick != INIT_PID => {
                let status = *t.get(pick).unwrap();
                let _ = t.exit(pick, status);
            }
            _ => {
                let which = if rnd(2) == 0 { WaitFor::Any } else { WaitFor::Pid(pids[rnd(pids.len())]) };
                match t.wait(pick, which) {
                    Ok(r) => {
                        assert_eq!(r.status, r.payload, "step {step}: the status it exited with");
                        assert_eq!(t.state(r.pid), None);
                        reaped += 1;
                    }
                    Err(WaitError::WouldBlock) => {
                        assert!(t.children(pick).any(|c| which == WaitFor::Any || which == WaitFor::Pid(c)));
                        assert!(t.children(pick).all(|c| t.state(c) == Some(State::Running) || matches!(which, WaitFor::Pid(p) if p != c)));
                    }
                    Err(WaitError::NoChild) => {
                        assert!(!t.children(pick).any(|c| which == WaitFor::Any || which == WaitFor::Pid(c)));
                    }
                }
            }
        }
        assert!(t.len() <= 12);
        for (pid, _) in t.iter() {
            if let Some(parent) = t.parent(pid) {
                assert_ne!(parent, pid);
                assert!(t.state(parent).is_some(), "step {step}: {pid}'s parent {parent} is gone");
            }
            if let Some(State::Zombie(_)) = t.state(pid) {
                assert_eq!(t.children(pid).count(), 0, "step {step}: zombie {pid} has children");
            }
        }
        // Nobody but init (running) is parentless here, so nothing leaks.
        assert!(t.iter().all(|(p, _)| p == INIT_PID || t.parent(p).is_some()));
    }
    assert!(reaped > 1000, "the walk reaped {reaped}");
}
