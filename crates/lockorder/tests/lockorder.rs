//! Behaviour of the held-locks record: nesting in order succeeds, an
//! inversion and a same-level double acquisition are caught (and the
//! error names both levels), a failed acquisition changes nothing,
//! release restores, releasing an unheld level is reported, and the
//! record round-trips through its per-CPU counts. Ends with a randomized
//! comparison against a list-of-held-levels model.

use lockorder::{Held, Inversion, Level, NotHeld};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum L {
    ProcessTable,
    Process,
    RunQueue,
    Heap,
    Console,
}

const ALL: [L; 5] = [L::ProcessTable, L::Process, L::RunQueue, L::Heap, L::Console];

impl Level for L {
    fn rank(self) -> usize {
        self as usize
    }
    fn from_rank(rank: usize) -> Option<L> {
        ALL.get(rank).copied()
    }
}

type Rec = Held<L, 5>;

#[test]
fn nesting_in_order() {
    let mut h = Rec::new();
    assert!(!h.holds_any());
    assert_eq!(h.innermost(), None);
    for l in [L::ProcessTable, L::RunQueue, L::Console] {
        h.acquire(l).unwrap();
        assert_eq!(h.innermost(), Some(l));
    }
    assert!(h.holds(L::RunQueue) && !h.holds(L::Process));
    assert_eq!(format!("{h:?}"), "{ProcessTable, RunQueue, Console}");
    assert_eq!(h.counts(), [1, 0, 1, 0, 1]);
}

#[test]
fn inversion_is_caught_and_names_both_levels() {
    let mut h = Rec::new();
    h.acquire(L::RunQueue).unwrap();
    let before = h.counts();
    let err = h.acquire(L::Process).unwrap_err();
    assert_eq!(err, Inversion { held: L::RunQueue, wanted: L::Process });
    let msg = err.to_string();
    assert!(msg.contains("Process lock") && msg.contains("RunQueue"), "{msg}");
    assert_eq!(h.counts(), before, "a refused acquisition records nothing");
    // Still refused after the refusal; fine once the inner lock is gone.
    assert!(h.acquire(L::ProcessTable).is_err());
    h.release(L::RunQueue).unwrap();
    h.acquire(L::Process).unwrap();
}

#[test]
fn the_innermost_held_level_is_named() {
    let mut h = Rec::new();
    h.acquire(L::Process).unwrap();
    h.acquire(L::Heap).unwrap();
    let err = h.acquire(L::RunQueue).unwrap_err();
    assert_eq!((err.held, err.wanted), (L::Heap, L::RunQueue));
}

#[test]
fn same_level_twice_is_caught() {
    let mut h = Rec::new();
    h.acquire(L::Process).unwrap();
    let err = h.acquire(L::Process).unwrap_err();
    assert_eq!(err, Inversion { held: L::Process, wanted: L::Process });
    assert!(err.to_string().contains("second Process lock"), "{err}");
    assert_eq!(h.counts(), [0, 1, 0, 0, 0]);
}

#[test]
fn release_restores() {
    let mut h = Rec::new();
    h.acquire(L::ProcessTable).unwrap();
    h.acquire(L::Process).unwrap();
    h.release(L::Process).unwrap();
    assert_eq!(h.innermost(), Some(L::ProcessTable));
    // Another Process lock (the next process) may now be taken.
    h.acquire(L::Process).unwrap();
    h.release(L::Process).unwrap();
    h.release(L::ProcessTable).unwrap();
    assert!(!h.holds_any());
    assert_eq!(h.counts(), [0; 5]);
    // Out-of-order release is allowed (guards may drop in any order).
    h.acquire(L::Process).unwrap();
    h.acquire(L::Console).unwrap();
    h.release(L::Process).unwrap();
    assert_eq!(h.innermost(), Some(L::Console));
    assert!(h.acquire(L::Heap).is_err(), "Console is still held");
}

#[test]
fn releasing_an_unheld_level_is_reported() {
    let mut h = Rec::new();
    assert_eq!(h.release(L::Heap), Err(NotHeld(L::Heap)));
    assert_eq!(NotHeld(L::Heap).to_string(), "releasing a Heap lock that is not held");
    h.acquire(L::Console).unwrap();
    assert!(h.release(L::Heap).is_err());
    assert_eq!(h.counts(), [0, 0, 0, 0, 1]);
}

#[test]
fn counts_round_trip_and_take() {
    let mut h = Rec::from_counts([1, 0, 0, 1, 0]);
    assert_eq!(h.innermost(), Some(L::Heap));
    assert!(h.acquire(L::RunQueue).is_err());
    let saved = h.take();
    assert!(!h.holds_any(), "an interrupt context starts empty");
    h.acquire(L::Process).unwrap();
    h.release(L::Process).unwrap();
    h = saved;
    assert_eq!(h.counts(), [1, 0, 0, 1, 0]);
    assert_eq!(Rec::default().counts(), [0; 5]);
}

#[test]
fn matches_a_model() {
    // xorshift: deterministic pseudo-random operations.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut h = Rec::new();
    let mut model: Vec<L> = Vec::new();
    for _ in 0..20_000 {
        let l = ALL[(next() % 5) as usize];
        if next() % 2 == 0 {
            let ok = model.iter().all(|m| m.rank() < l.rank());
            assert_eq!(h.acquire(l).is_ok(), ok);
            if ok {
                model.push(l);
            }
        } else {
            let pos = model.iter().position(|&m| m == l);
            assert_eq!(h.release(l).is_ok(), pos.is_some());
            if let Some(p) = pos {
                model.remove(p);
            }
        }
        let want: Vec<u8> = ALL.iter().map(|a| model.contains(a) as u8).collect();
        assert_eq!(h.counts().to_vec(), want);
        assert_eq!(h.innermost(), model.iter().copied().max_by_key(|m| m.rank()));
    }
}
