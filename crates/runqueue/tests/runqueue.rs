//! Behaviour of the run queue: strict priority, FIFO/round robin inside a
//! level, removal and stealing, the aging bound, and a randomized
//! comparison against a straightforward model (including the bitmap).

use runqueue::{Priority, RunQueue, STARVATION_LIMIT};
use std::collections::VecDeque;
use Priority::{High, Low, Normal};

const N: usize = STARVATION_LIMIT as usize;

#[test]
fn empty_queue() {
    let mut q: RunQueue<u32> = RunQueue::new();
    assert!(q.is_empty());
    assert_eq!((q.len(), q.nonempty_levels()), (0, 0));
    assert_eq!(q.pop(), None);
    assert_eq!(q.steal(), None);
    assert_eq!(q.remove(|_| true), None);
}

#[test]
fn strict_priority_order() {
    let mut q = RunQueue::new();
    q.push_back("low", Low);
    q.push_back("normal", Normal);
    q.push_back("high", High);
    assert_eq!((q.len(), q.nonempty_levels()), (3, 0b111));
    assert_eq!(q.pop(), Some(("high", High)));
    assert_eq!(q.pop(), Some(("normal", Normal)));
    assert_eq!(q.pop(), Some(("low", Low)));
    assert_eq!(q.pop(), None);
    assert_eq!(q.nonempty_levels(), 0);
}

#[test]
fn fifo_and_round_robin_within_a_level() {
    let mut q = RunQueue::new();
    for task in 0..3 {
        q.push_back(task, Normal);
    }
    // A scheduler re-queues each preempted task: 0 1 2 0 1 2 ...
    let order: Vec<i32> = (0..9)
        .map(|_| {
            let (task, prio) = q.pop().unwrap();
            q.push_back(task, prio);
            task
        })
        .collect();
    assert_eq!(order, [0, 1, 2, 0, 1, 2, 0, 1, 2]);
}

/// Pops `count` times, re-queueing each item at its priority, and returns
/// the priorities served.
fn run(q: &mut RunQueue<u32>, count: usize) -> Vec<Priority> {
    (0..count)
        .map(|_| {
            let (task, prio) = q.pop().unwrap();
            q.push_back(task, prio);
            prio
        })
        .collect()
}

/// The longest run of pops that did not serve `prio`.
fn longest_wait(served: &[Priority], prio: Priority) -> usize {
    served
        .split(|&p| p == prio)
        .map(<[_]>::len)
        .max()
        .unwrap_or(0)
}

#[test]
fn low_is_served_once_every_limit_plus_one_pops() {
    let mut q = RunQueue::new();
    q.push_back(1, High);
    q.push_back(2, High);
    q.push_back(3, Low);
    let served = run(&mut q, 1000);
    assert!(longest_wait(&served, Low) <= N, "Low waited too long");
    // Exactly N High pops, then one Low pop, repeating.
    let mut pattern = vec![High; N];
    pattern.push(Low);
    assert_eq!(served[..2 * (N + 1)], [pattern.clone(), pattern].concat());
}

#[test]
fn with_three_busy_levels_each_waits_at_most_limit_plus_one() {
    let mut q = RunQueue::new();
    q.push_back(1, High);
    q.push_back(2, Normal);
    q.push_back(3, Low);
    let served = run(&mut q, 1000);
    assert!(longest_wait(&served, Normal) <= N + 1);
    assert!(longest_wait(&served, Low) <= N + 1);
    // High still gets the lion's share.
    let high = served.iter().filter(|&&p| p == High).count();
    assert!(high >= 1000 * N / (N + 2) - 1, "High served {high} times");
}

#[test]
fn waiting_only_counts_while_the_level_is_non_empty() {
    let mut q = RunQueue::new();
    q.push_back(1, High);
    run(&mut q, 100); // Nobody else was waiting.
    q.push_back(2, Low);
    let served = run(&mut q, N + 1);
    assert_eq!(
        served[..N],
        vec![High; N][..],
        "Low must not jump the queue at once"
    );
    assert_eq!(served[N], Low);
    // Low leaves and comes back: its count restarts.
    q.remove(|&t| t == 2).unwrap();
    run(&mut q, 3);
    q.push_back(2, Low);
    assert_eq!(run(&mut q, N + 1)[N], Low);
}

#[test]
fn remove_finds_items_anywhere() {
    let mut q = RunQueue::new();
    for (task, prio) in [(1, High), (2, Normal), (3, Normal), (4, Low)] {
        q.push_back(task, prio);
    }
    assert_eq!(q.remove(|&t| t == 3), Some(3));
    assert_eq!(q.remove(|&t| t == 3), None);
    assert_eq!(q.remove(|&t| t == 4), Some(4));
    assert_eq!(q.nonempty_levels(), 0b011, "Low became empty");
    assert_eq!(q.remove(|&t| t % 2 == 0), Some(2));
    assert_eq!((q.len(), q.nonempty_levels()), (1, 0b001));
    let items: Vec<_> = q.iter().collect();
    assert_eq!(items, [(&1, High)]);
}

#[test]
fn steal_takes_the_tail_of_the_lowest_level() {
    let mut q = RunQueue::new();
    for (task, prio) in [(1, High), (2, High), (3, Normal), (4, Normal)] {
        q.push_back(task, prio);
    }
    assert_eq!(q.steal(), Some((4, Normal)));
    assert_eq!(q.steal(), Some((3, Normal)));
    assert_eq!(q.steal(), Some((2, High)));
    assert_eq!(q.nonempty_levels(), 0b001);
    assert_eq!(q.pop(), Some((1, High)));
    assert!(q.is_empty());
}

/// A deliberately plain restatement of the rules, for comparison.
struct Model {
    levels: [VecDeque<u32>; 3],
    waited: [u32; 3],
}

impl Model {
    fn pop(&mut self) -> Option<(u32, Priority)> {
        let nonempty = |m: &Model, l: usize| !m.levels[l].is_empty();
        let starving = [1, 2]
            .into_iter()
            .find(|&l| nonempty(self, l) && self.waited[l] >= STARVATION_LIMIT);
        let level = starving.or_else(|| (0..3).find(|&l| nonempty(self, l)))?;
        let item = self.levels[level].pop_front().unwrap();
        self.waited[level] = 0;
        for lower in level + 1..3 {
            if nonempty(self, lower) {
                self.waited[lower] += 1;
            }
        }
        Some((item, Priority::ALL[level]))
    }
}

#[test]
fn random_operations_match_the_model() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut q = RunQueue::new();
    let mut model = Model {
        levels: Default::default(),
        waited: [0; 3],
    };
    // Pops since each level was last served while it stayed non-empty.
    let mut waiting = [0usize; 3];
    let mut next_id = 0;
    for _ in 0..20_000 {
        match rand(10) {
            0..=3 => {
                let prio = Priority::ALL[rand(3) as usize];
                if model.levels[prio.index()].is_empty() {
                    model.waited[prio.index()] = 0;
                    waiting[prio.index()] = 0;
                }
                q.push_back(next_id, prio);
                model.levels[prio.index()].push_back(next_id);
                next_id += 1;
            }
            4..=7 => {
                let got = q.pop();
                assert_eq!(got, model.pop());
                if let Some((_, prio)) = got {
                    for (level, wait) in waiting.iter_mut().enumerate() {
                        *wait = if level == prio.index() { 0 } else { *wait + 1 };
                    }
                }
            }
            8 => {
                let lowest = (0..3).rev().find(|&l| !model.levels[l].is_empty());
                let expected =
                    lowest.map(|l| (model.levels[l].pop_back().unwrap(), Priority::ALL[l]));
                assert_eq!(q.steal(), expected);
            }
            _ => {
                let victim = rand(next_id.max(1) as u64) as u32;
                let level = (0..3).find(|&l| model.levels[l].contains(&victim));
                let expected = level.map(|l| {
                    let index = model.levels[l].iter().position(|&t| t == victim).unwrap();
                    model.levels[l].remove(index).unwrap()
                });
                assert_eq!(q.remove(|&t| t == victim), expected);
            }
        }
        let mut bitmap = 0;
        for prio in Priority::ALL {
            let level = prio.index();
            assert_eq!(q.len_at(prio), model.levels[level].len());
            if !model.levels[level].is_empty() {
                bitmap |= 1 << level;
                if level > 0 {
                    assert!(waiting[level] <= N + 1, "{prio:?} starved");
                }
            }
        }
        assert_eq!(q.nonempty_levels(), bitmap);
        assert_eq!(
            q.len(),
            model.levels.iter().map(VecDeque::len).sum::<usize>()
        );
        assert_eq!(q.is_empty(), bitmap == 0);
    }
}

#[test]
fn steal_where_skips_items_that_may_not_move() {
    let mut q = RunQueue::new();
    q.push_back(1, Priority::Low);
    q.push_back(2, Priority::Low); // pinned
    q.push_back(3, Priority::Normal);
    q.push_back(4, Priority::High); // pinned
    let movable = |x: &i32| *x != 2 && *x != 4;
    assert_eq!(q.steal_where(movable), Some((1, Priority::Low)));
    assert_eq!(q.steal_where(movable), Some((3, Priority::Normal)));
    assert_eq!(q.steal_where(movable), None);
    assert_eq!(q.len(), 2);
    // The pinned ones still run here, in order.
    assert_eq!(q.pop(), Some((4, Priority::High)));
    assert_eq!(q.pop(), Some((2, Priority::Low)));
    assert!(q.is_empty());
    assert_eq!(q.nonempty_levels(), 0);
}
