//! RegionMap: insert/remove/set_attr/find_free keep the areas sorted,
//! disjoint, non-empty and merged; failures change nothing.

use vma::{Area, MapError, RegionMap};

const P: u64 = 0x1000;

fn map(areas: &[(u64, u64, u8)]) -> RegionMap<u8> {
    let mut m = RegionMap::new();
    for &(s, e, a) in areas {
        m.insert(s * P..e * P, a).unwrap();
    }
    m
}

fn dump(m: &RegionMap<u8>) -> Vec<(u64, u64, u8)> {
    m.areas().iter().map(|a| (a.range.start / P, a.range.end / P, a.attr)).collect()
}

fn check_invariants(m: &RegionMap<u8>) {
    for w in m.areas().windows(2) {
        assert!(w[0].range.end <= w[1].range.start, "sorted and disjoint: {:?}", m.areas());
        assert!(!(w[0].range.end == w[1].range.start && w[0].attr == w[1].attr), "merged: {:?}", m.areas());
    }
    assert!(m.areas().iter().all(|a| a.range.start < a.range.end));
}

#[test]
fn insert_refuses_overlaps_and_merges_neighbours() {
    let mut m = map(&[(10, 20, 1), (30, 40, 1)]);
    assert_eq!(m.insert(15 * P..25 * P, 1), Err(MapError::Overlap));
    assert_eq!(m.insert(5 * P..11 * P, 1), Err(MapError::Overlap));
    assert_eq!(m.insert(5 * P..5 * P, 1), Err(MapError::Empty));
    m.insert(20 * P..30 * P, 1).unwrap();
    assert_eq!(dump(&m), [(10, 40, 1)]);
    m.insert(40 * P..41 * P, 2).unwrap();
    m.insert(0..P, 1).unwrap();
    assert_eq!(dump(&m), [(0, 1, 1), (10, 40, 1), (40, 41, 2)]);
    check_invariants(&m);
}

#[test]
fn find_and_covers() {
    let m = map(&[(10, 20, 1), (20, 30, 2), (40, 50, 3)]);
    assert_eq!(m.find(10 * P).map(|a| a.attr), Some(1));
    assert_eq!(m.find(20 * P - 1).map(|a| a.attr), Some(1));
    assert_eq!(m.find(20 * P).map(|a| a.attr), Some(2));
    assert!(m.find(30 * P).is_none());
    assert!(m.find(0).is_none());
    assert!(m.find(u64::MAX).is_none());
    assert!(m.covers(&(12 * P..28 * P)));
    assert!(m.covers(&(10 * P..30 * P)));
    assert!(!m.covers(&(25 * P..41 * P)));
    assert!(!m.covers(&(5 * P..12 * P)));
    assert!(!m.covers(&(45 * P..51 * P)));
}

#[test]
fn remove_splits_trims_and_drops() {
    let mut m = map(&[(10, 20, 1)]);
    let removed = m.remove(12 * P..14 * P).unwrap();
    assert_eq!((removed.len(), &removed[0]), (1, &(12 * P..14 * P)));
    assert_eq!(dump(&m), [(10, 12, 1), (14, 20, 1)]);
    let mut m = map(&[(10, 20, 1), (20, 30, 2), (40, 50, 3), (60, 70, 4)]);
    let removed = m.remove(15 * P..45 * P).unwrap();
    assert_eq!(removed, [15 * P..20 * P, 20 * P..30 * P, 40 * P..45 * P]);
    assert_eq!(dump(&m), [(10, 15, 1), (45, 50, 3), (60, 70, 4)]);
    // Whole areas, exact bounds, a hole-only range, everything.
    assert_eq!(m.remove(45 * P..50 * P).unwrap().len(), 1);
    assert!(m.remove(50 * P..60 * P).unwrap().is_empty());
    assert!(m.remove(7 * P..7 * P).unwrap().is_empty());
    assert_eq!(m.remove(0..u64::MAX).unwrap().len(), 2);
    assert!(m.areas().is_empty());
}

#[test]
fn set_attr_splits_and_remerges() {
    let mut m = map(&[(10, 20, 1), (20, 30, 2)]);
    assert_eq!(m.set_attr(5 * P..15 * P, |_| 9), Err(MapError::Hole));
    assert_eq!(m.set_attr(25 * P..31 * P, |_| 9), Err(MapError::Hole));
    let old = m.set_attr(15 * P..25 * P, |_| 7).unwrap();
    assert_eq!(old, [Area { range: 15 * P..20 * P, attr: 1 }, Area { range: 20 * P..25 * P, attr: 2 }]);
    assert_eq!(dump(&m), [(10, 15, 1), (15, 25, 7), (25, 30, 2)]);
    check_invariants(&m);
    // Back to one attribute everywhere: one area again.
    m.set_attr(10 * P..30 * P, |_| 1).unwrap();
    assert_eq!(dump(&m), [(10, 30, 1)]);
    // Strictly inside one area.
    m.set_attr(12 * P..13 * P, |a| a + 1).unwrap();
    assert_eq!(dump(&m), [(10, 12, 1), (12, 13, 2), (13, 30, 1)]);
    m.set_attr(12 * P..13 * P, |_| 1).unwrap();
    assert_eq!(dump(&m), [(10, 30, 1)]);
}

#[test]
fn find_free_is_top_down_inside_the_window() {
    let m = map(&[(10, 20, 1), (25, 30, 1), (90, 100, 1)]);
    let w = 0..100 * P;
    assert_eq!(m.find_free(5 * P, w.clone(), P), Some(85 * P));
    assert_eq!(m.find_free(60 * P, w.clone(), P), Some(30 * P));
    assert_eq!(m.find_free(61 * P, w.clone(), P), None, "largest gap is 60 pages");
    assert_eq!(m.find_free(10 * P, 0..26 * P, P), Some(0), "below the first area");
    assert_eq!(m.find_free(5 * P, 20 * P..28 * P, P), Some(20 * P), "the gap between");
    assert_eq!(m.find_free(6 * P, 20 * P..28 * P, P), None);
    assert_eq!(m.find_free(P, 95 * P..120 * P, P), Some(119 * P), "above all areas");
    assert_eq!(m.find_free(0, w.clone(), P), None);
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = 5..3;
    assert_eq!(m.find_free(P, reversed, P), None);
    assert_eq!(RegionMap::<u8>::new().find_free(P, 0..u64::MAX, P), Some((u64::MAX - 2 * P + 1) & !(P - 1)));
}

#[test]
fn a_random_workout_keeps_the_invariants() {
    // Deterministic pseudo-random operations against a page bitmap model.
    let mut m: RegionMap<u8> = RegionMap::new();
    let mut model = [0u8; 64]; // 0 = free, else attr
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..5000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let s = x % 64;
        let e = (s + 1 + (x >> 8) % 8).min(64);
        let attr = 1 + ((x >> 16) % 3) as u8;
        match (x >> 24) % 3 {
            0 => {
                let free = (s..e).all(|p| model[p as usize] == 0);
                assert_eq!(m.insert(s * P..e * P, attr).is_ok(), free);
                if free {
                    (s..e).for_each(|p| model[p as usize] = attr);
                }
            }
            1 => {
                let removed: u64 = m.remove(s * P..e * P).unwrap().iter().map(|r| (r.end - r.start) / P).sum();
                assert_eq!(removed, (s..e).filter(|&p| model[p as usize] != 0).count() as u64);
                (s..e).for_each(|p| model[p as usize] = 0);
            }
            _ => {
                let covered = (s..e).all(|p| model[p as usize] != 0);
                assert_eq!(m.set_attr(s * P..e * P, |_| attr).is_ok(), covered);
                if covered {
                    (s..e).for_each(|p| model[p as usize] = attr);
                }
            }
        }
        check_invariants(&m);
        for p in 0..64u64 {
            assert_eq!(m.find(p * P).map_or(0, |a| a.attr), model[p as usize], "page {p}");
        }
    }
}
