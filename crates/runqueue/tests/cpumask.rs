//! CPU masks and placement: bit operations, the user-memory byte layout,
//! and that every placement choice stays inside the allowed set (checked
//! exhaustively over small masks and loads).

use runqueue::cpumask::{busiest, least_loaded, wake_cpu, CpuMask};

#[test]
fn bit_operations() {
    let m = CpuMask(0b1010);
    assert!(m.contains(1) && m.contains(3) && !m.contains(0) && !m.contains(2));
    assert!(!m.contains(64) && !CpuMask::ALL.contains(100));
    assert_eq!(m.count(), 2);
    assert_eq!(m.only(), None);
    assert_eq!(CpuMask::single(5).only(), Some(5));
    assert_eq!(CpuMask::EMPTY.only(), None);
    assert_eq!(m.lowest(), Some(1));
    assert_eq!(CpuMask::EMPTY.lowest(), None);
    assert_eq!(m.and(CpuMask::first(2)), CpuMask(0b10));
    assert_eq!(CpuMask::first(4), CpuMask(0xF));
    assert_eq!(CpuMask::first(64), CpuMask::ALL);
    assert_eq!(CpuMask::EMPTY.with(2).with(0), CpuMask(0b101));
    assert!(CpuMask::single(64).is_empty());
    assert_eq!(m.iter().collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!(CpuMask(1 << 63).iter().collect::<Vec<_>>(), vec![63]);
}

#[test]
fn user_bytes() {
    // Linux's get_user_cpu_mask: a short copy leaves the rest zero; a long
    // one is cut to the kernel's size.
    assert_eq!(CpuMask::from_le_bytes(&[0x05]), CpuMask(5));
    assert_eq!(CpuMask::from_le_bytes(&[]), CpuMask::EMPTY);
    assert_eq!(CpuMask::from_le_bytes(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), CpuMask(0x0807060504030201));
    assert_eq!(CpuMask(0x0102).to_le_bytes(), [2, 1, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn least_loaded_prefers_low_load_then_caller_then_low_id() {
    let load = |c: usize| [3, 1, 1, 0][c];
    assert_eq!(least_loaded(CpuMask(0xF), load, 0), Some(3));
    assert_eq!(least_loaded(CpuMask(0x7), load, 0), Some(1));
    assert_eq!(least_loaded(CpuMask(0x7), load, 2), Some(2));
    assert_eq!(least_loaded(CpuMask(0x1), load, 3), Some(0));
    assert_eq!(least_loaded(CpuMask::EMPTY, load, 0), None);
}

#[test]
fn wake_goes_home_if_allowed() {
    let load = |c: usize| [0, 5, 5, 5][c];
    assert_eq!(wake_cpu(2, CpuMask(0xF), load, 1), Some(2));
    assert_eq!(wake_cpu(2, CpuMask(0b1010), load, 0), Some(1));
    assert_eq!(wake_cpu(0, CpuMask(0b1000), load, 0), Some(3));
    assert_eq!(wake_cpu(0, CpuMask::EMPTY, load, 0), None);
}

/// Every mask of 4 CPUs, every load table with loads 0..3, every last CPU
/// and preferred CPU: the choice is always allowed, and least_loaded's is
/// minimal.
#[test]
fn placement_never_leaves_the_mask() {
    for mask in 1u64..16 {
        let allowed = CpuMask(mask);
        for loads in 0..(3u32.pow(4)) {
            let table: Vec<usize> = (0..4).map(|i| (loads / 3u32.pow(i) % 3) as usize).collect();
            let load = |c: usize| table[c];
            for prefer in 0..4 {
                let c = least_loaded(allowed, load, prefer).unwrap();
                assert!(allowed.contains(c));
                assert!(allowed.iter().all(|o| table[o] >= table[c]));
                for last in 0..4 {
                    assert!(allowed.contains(wake_cpu(last, allowed, load, prefer).unwrap()));
                }
            }
        }
    }
}

#[test]
fn busiest_is_the_largest_untried_non_empty_queue() {
    let counts = [2usize, 0, 5, 2, 7, 0];
    let all = CpuMask::first(6);
    assert_eq!(busiest(all, CpuMask::single(0), |c| counts[c]), Some(4));
    assert_eq!(busiest(all, CpuMask(0b10001), |c| counts[c]), Some(2));
    // Ties go to the lowest id.
    assert_eq!(busiest(all, CpuMask(0b10101), |c| counts[c]), Some(3));
    assert_eq!(busiest(all, CpuMask(0b10100), |c| counts[c]), Some(0));
    assert_eq!(busiest(all, CpuMask(0b011101), |c| counts[c]), None);
    assert_eq!(busiest(CpuMask(0b10), CpuMask::EMPTY, |c| counts[c]), None);
}
