//! Behaviour of the group rules (`setpgid`/`setsid`, Linux's): 0 meaning
//! the caller and the target's own pid, who may be moved (the caller, a
//! child; ESRCH otherwise), the session and exec checks on a child, the
//! session leader, joining only a group of the caller's session, `setsid`
//! refused to a group leader (zombies count), and the membership tests.

use proctable::{GroupError, Ids, Pid, ProcTable, INIT_PID};

/// A payload with the ids and the exec flag the kernel's `Process` has.
struct P {
    ids: Ids,
    execed: bool,
}

fn ids(p: &P) -> Ids {
    p.ids
}

fn execed(p: &P) -> bool {
    p.execed
}

fn add(t: &mut ProcTable<P>, parent: Pid, pgid: Pid, sid: Pid) -> Pid {
    t.insert(Some(parent), P { ids: Ids { pgid, sid }, execed: false }).unwrap()
}

/// init (group 0, session 0), a shell 2 leading session and group 2, its
/// children 3 and 4 in group 2, and 5, a child of init in session 0.
fn tree() -> ProcTable<P> {
    let mut t = ProcTable::new(16);
    t.insert_init(P { ids: Ids { pgid: 0, sid: 0 }, execed: false }).unwrap();
    assert_eq!(add(&mut t, INIT_PID, 2, 2), 2);
    assert_eq!(add(&mut t, 2, 2, 2), 3);
    assert_eq!(add(&mut t, 2, 2, 2), 4);
    assert_eq!(add(&mut t, INIT_PID, 0, 0), 5);
    t
}

fn setpgid(t: &ProcTable<P>, me: Pid, pid: Pid, pgid: Pid) -> Result<(Pid, Pid), GroupError> {
    t.setpgid_target(me, pid, pgid, ids, execed)
}

#[test]
fn zeros_mean_the_caller_and_its_own_pid() {
    let t = tree();
    assert_eq!(setpgid(&t, 3, 0, 0), Ok((3, 3)), "a new group led by the caller");
    assert_eq!(setpgid(&t, 2, 3, 0), Ok((3, 3)), "a child into its own group");
    assert_eq!(setpgid(&t, 3, 3, 2), Ok((3, 2)), "back into an existing group of the session");
}

#[test]
fn only_the_caller_or_its_children() {
    let t = tree();
    assert_eq!(setpgid(&t, 3, 4, 0), Err(GroupError::NoSuchProcess), "a sibling");
    assert_eq!(setpgid(&t, 3, 2, 0), Err(GroupError::NoSuchProcess), "a parent");
    assert_eq!(setpgid(&t, 2, 99, 0), Err(GroupError::NoSuchProcess), "nobody");
}

#[test]
fn a_child_in_another_session_or_after_exec_is_refused() {
    let mut t = tree();
    let other = add(&mut t, 2, 7, 7);
    assert_eq!(setpgid(&t, 2, other, 2), Err(GroupError::NotPermitted), "another session");
    t.get_mut(4).unwrap().execed = true;
    assert_eq!(setpgid(&t, 2, 4, 0), Err(GroupError::Execed));
    assert_eq!(setpgid(&t, 4, 0, 0), Ok((4, 4)), "exec does not stop a process moving itself");
}

#[test]
fn exec_is_asked_only_after_the_other_checks() {
    let t = tree();
    let asked = core::cell::Cell::new(0);
    let count = |p: &P| {
        asked.set(asked.get() + 1);
        p.execed
    };
    assert_eq!(t.setpgid_target(3, 4, 0, ids, count), Err(GroupError::NoSuchProcess));
    assert_eq!(t.setpgid_target(3, 0, 0, ids, count), Ok((3, 3)), "the caller itself");
    assert_eq!(asked.get(), 0);
    assert_eq!(t.setpgid_target(2, 3, 0, ids, count), Ok((3, 3)));
    assert_eq!(asked.get(), 1);
}

#[test]
fn a_session_leader_stays_and_groups_must_exist_in_the_session() {
    let t = tree();
    assert_eq!(setpgid(&t, 2, 0, 3), Err(GroupError::NotPermitted), "the leader of session 2");
    assert_eq!(setpgid(&t, 3, 0, 9), Err(GroupError::NotPermitted), "no group 9");
    assert_eq!(setpgid(&t, 3, 0, 0), Ok((3, 3)));
    assert_eq!(setpgid(&t, 5, 0, 2), Err(GroupError::NotPermitted), "group 2 is of another session");
    assert_eq!(setpgid(&t, 5, 0, 0), Ok((5, 5)), "init's session 0 has no leader 5");
}

#[test]
fn setsid_is_refused_to_a_group_leader_zombie_members_included() {
    let mut t = tree();
    assert_eq!(t.setsid_allowed(2, ids), Err(GroupError::NotPermitted), "2 leads group 2");
    assert_eq!(t.setsid_allowed(3, ids), Ok(()));
    let lone = add(&mut t, 2, 2, 2);
    t.get_mut(3).unwrap().ids.pgid = lone; // 3 joined a group numbered like `lone`
    t.exit(3, 0).unwrap();
    assert_eq!(t.setsid_allowed(lone, ids), Err(GroupError::NotPermitted), "a zombie still holds the id");
    t.wait(2, proctable::WaitFor::Pid(3)).unwrap();
    assert_eq!(t.setsid_allowed(lone, ids), Ok(()));
}

#[test]
fn membership_tests() {
    let t = tree();
    assert!(t.group_exists(2, ids) && t.group_exists(0, ids));
    assert!(!t.group_exists(3, ids));
    assert!(t.group_in_session(2, 2, ids));
    assert!(!t.group_in_session(2, 0, ids));
    assert!(t.group_in_session(0, 0, ids));
}
