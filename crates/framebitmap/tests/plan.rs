//! Tests of the memory-map planner `usable_ranges`: rounding, overlaps,
//! unsorted input, holes, memory above 4 GiB, reserved ranges splitting
//! regions, address-space edges, and a brute-force page-by-page comparison
//! on random maps.

// Expected results are written as arrays of ranges, even with one element.
#![allow(clippy::single_range_in_vec_init)]

use framebitmap::{usable_ranges, MemRegion, RegionKind, FIRST_MIB};
use std::ops::Range;

const PAGE: u64 = 4096;

fn avail(base: u64, len: u64) -> MemRegion {
    MemRegion {
        base,
        len,
        kind: RegionKind::Available,
    }
}

fn other(base: u64, len: u64) -> MemRegion {
    MemRegion {
        base,
        len,
        kind: RegionKind::Other,
    }
}

fn plan(regions: &[MemRegion], reserved: &[Range<u64>]) -> Vec<Range<u64>> {
    usable_ranges(regions, reserved).collect()
}

#[test]
fn empty_inputs_give_nothing() {
    assert!(plan(&[], &[]).is_empty());
    assert!(plan(&[other(0, 1 << 30)], &[]).is_empty());
    assert!(plan(&[avail(0x1000, 0)], &[]).is_empty());
    assert!(
        plan(&[avail(0x1001, 0xffe)], &[]).is_empty(),
        "no whole page inside"
    );
}

#[test]
fn aligned_region_passes_through() {
    assert_eq!(
        plan(&[avail(0x10_0000, 0x10_0000)], &[]),
        [0x10_0000..0x20_0000]
    );
}

#[test]
fn available_rounds_inward() {
    assert_eq!(plan(&[avail(0x1001, 0x4ffe)], &[]), [0x2000..0x5000]);
}

#[test]
fn reserved_rounds_outward_and_splits() {
    let got = plan(&[avail(0, 0x10000)], &[0x3001..0x4001]);
    assert_eq!(got, [0..0x3000, 0x5000..0x10000]);
    // Empty reserved ranges block nothing.
    assert_eq!(plan(&[avail(0, 0x2000)], &[0x1000..0x1000]), [0..0x2000]);
}

#[test]
fn other_kinds_win_over_available() {
    let got = plan(&[avail(0, 0x10000), other(0x8000, 0x800)], &[]);
    assert_eq!(got, [0..0x8000, 0x9000..0x10000]);
    // Order in the map does not matter.
    let got = plan(&[other(0x8000, 0x800), avail(0, 0x10000)], &[]);
    assert_eq!(got, [0..0x8000, 0x9000..0x10000]);
}

#[test]
fn overlapping_unsorted_and_touching_available_regions_merge() {
    let got = plan(&[avail(0x5000, 0x4000), avail(0x1000, 0x5000)], &[]);
    assert_eq!(got, [0x1000..0x9000]);
    // Two regions meeting at an unaligned address still cover the page.
    let got = plan(&[avail(0x2800, 0x1800), avail(0x1000, 0x1800)], &[]);
    assert_eq!(got, [0x1000..0x4000]);
    // A region nested inside another changes nothing.
    let got = plan(&[avail(0, 0x10000), avail(0x3000, 0x10)], &[]);
    assert_eq!(got, [0..0x10000]);
}

#[test]
fn holes_separate_ranges() {
    let got = plan(
        &[
            avail(0x20000, 0x1000),
            avail(0, 0x2800),
            avail(0x3000, 0x1000),
        ],
        &[],
    );
    assert_eq!(got, [0..0x2000, 0x3000..0x4000, 0x20000..0x21000]);
}

#[test]
fn typical_pc_map_above_4_gib() {
    let map = [
        avail(0, 0x9fc00),
        other(0x9fc00, 0x400),
        other(0xf0000, 0x10000),
        avail(0x10_0000, 0xbfed_0000),
        other(0xbffe_0000, 0x20000),
        other(0xfec0_0000, 0x1000),
        avail(0x1_0000_0000, 0x1_4000_0000),
    ];
    let kernel = 0x20_0000..0x3a_5123;
    let module = 0x1_2000_0000..0x1_2000_0800;
    let got = plan(&map, &[FIRST_MIB, kernel, module]);
    assert_eq!(
        got,
        [
            0x10_0000..0x20_0000,
            0x3a_6000..0xbffd_0000,
            0x1_0000_0000..0x1_2000_0000,
            0x1_2000_1000..0x2_4000_0000,
        ]
    );
    let total: u64 = got.iter().map(|r| r.end - r.start).sum();
    assert!(total > 4 << 30);
}

#[test]
fn edges_of_the_address_space_do_not_overflow() {
    let top = u64::MAX - 0x3fff; // 0xffff_ffff_ffff_c000
    assert_eq!(plan(&[avail(top, u64::MAX)], &[]), [top..u64::MAX - 0xfff]);
    assert!(plan(&[avail(u64::MAX - 0x800, 0x1000)], &[]).is_empty());
    assert!(plan(&[avail(top, 0x4000)], &[top + 1..u64::MAX]).is_empty());
    assert_eq!(
        plan(&[avail(0, u64::MAX)], &[0x1000..u64::MAX]),
        [0..0x1000]
    );
}

#[test]
fn iterator_stays_finished() {
    let map = [avail(0, 0x2000)];
    let mut it = usable_ranges(&map, &[]);
    assert_eq!(it.next(), Some(0..0x2000));
    assert_eq!(it.next(), None);
    assert_eq!(it.next(), None);
}

/// Page-by-page reference: a page is usable when `Available` regions cover
/// all of it and nothing else touches it.
fn brute_force(regions: &[MemRegion], reserved: &[Range<u64>], pages: u64) -> Vec<Range<u64>> {
    let mut out: Vec<Range<u64>> = Vec::new();
    for p in 0..pages {
        let page = p * PAGE..(p + 1) * PAGE;
        let touches = |r: &Range<u64>| !r.is_empty() && r.start < page.end && page.start < r.end;
        let blocked = regions
            .iter()
            .filter(|r| r.kind == RegionKind::Other)
            .map(|r| r.range())
            .any(|r| touches(&r))
            || reserved.iter().any(touches);
        let mut pieces: Vec<Range<u64>> = regions
            .iter()
            .filter(|r| r.kind == RegionKind::Available)
            .map(|r| r.range())
            .collect();
        pieces.sort_by_key(|r| r.start);
        let mut covered_to = page.start;
        for r in pieces {
            if r.start <= covered_to {
                covered_to = covered_to.max(r.end);
            }
        }
        if !blocked && covered_to >= page.end {
            match out.last_mut() {
                Some(last) if last.end == page.start => last.end = page.end,
                _ => out.push(page),
            }
        }
    }
    out
}

#[test]
fn random_maps_match_page_by_page_reference() {
    let mut state = 0x1234_5678_9abc_def1u64;
    let mut rand = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    const PAGES: u64 = 48;
    for _ in 0..3000 {
        // Addresses are either page-aligned or arbitrary, to hit both cases.
        let addr = |rand: &mut dyn FnMut(u64) -> u64| {
            if rand(2) == 0 {
                rand(PAGES) * PAGE
            } else {
                rand(PAGES * PAGE)
            }
        };
        let regions: Vec<MemRegion> = (0..rand(6))
            .map(|_| {
                let (base, len) = (addr(&mut rand), addr(&mut rand) / 3);
                if rand(4) == 0 {
                    other(base, len)
                } else {
                    avail(base, len)
                }
            })
            .collect();
        let reserved: Vec<Range<u64>> = (0..rand(3))
            .map(|_| {
                let start = addr(&mut rand);
                start..start + rand(3 * PAGE)
            })
            .collect();
        let expected = brute_force(&regions, &reserved, PAGES * 2);
        assert_eq!(
            plan(&regions, &reserved),
            expected,
            "map {regions:?} reserved {reserved:?}"
        );
    }
}
