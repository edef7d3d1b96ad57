//! CPU masks and the placement choices that honour them (CPU affinity,
//! Linux's `cpus_mask`), kept free of hardware so the host tests them.
//!
//! A [`CpuMask`] is one 64-bit word, bit `n` standing for CPU `n`: the
//! same layout as the first `unsigned long` of Linux's `cpu_set_t`, so a
//! mask crosses the system-call boundary as 8 little-endian bytes. The
//! kernel keeps a task's mask in one atomic word; every check on a hot
//! path (yield, wake, pick) is a single bit test.
//!
//! Placement (all pure functions over a load table):
//! * [`least_loaded`]: the allowed CPU with the least load; ties go to a
//!   preferred CPU (the caller's), then to the lowest id.
//! * [`wake_cpu`]: the CPU a woken task last ran on if still allowed
//!   (cache affinity), else the least-loaded allowed one.
//! * [`busiest`]: the next queue an idle CPU tries to steal from.
//!
//! Invariant the callers keep: a mask handed to placement has at least one
//! bit in common with the online set (the kernel refuses any other at
//! `sched_setaffinity`, and CPUs never go offline); if not, the functions
//! return `None` and the caller falls back to a CPU it knows is online.

/// A set of CPUs (bit `n` = CPU `n`, up to 64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct CpuMask(pub u64);

impl CpuMask {
    /// No CPU.
    pub const EMPTY: CpuMask = CpuMask(0);
    /// Every CPU (the default affinity of a task, as Linux's "all possible").
    pub const ALL: CpuMask = CpuMask(u64::MAX);

    /// The mask holding only `cpu` (`EMPTY` for `cpu >= 64`).
    pub const fn single(cpu: usize) -> CpuMask {
        if cpu < 64 { CpuMask(1 << cpu) } else { CpuMask::EMPTY }
    }

    /// CPUs `0..n` (the first `n`; all 64 for `n >= 64`).
    pub const fn first(n: usize) -> CpuMask {
        if n >= 64 { CpuMask::ALL } else { CpuMask((1u64 << n) - 1) }
    }

    /// Whether `cpu` is in the set: one bit test.
    #[inline(always)]
    pub const fn contains(self, cpu: usize) -> bool {
        cpu < 64 && (self.0 >> cpu) & 1 != 0
    }

    /// The CPUs in both sets.
    pub const fn and(self, other: CpuMask) -> CpuMask {
        CpuMask(self.0 & other.0)
    }

    /// This set with `cpu` added.
    pub const fn with(self, cpu: usize) -> CpuMask {
        CpuMask(self.0 | CpuMask::single(cpu).0)
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Number of CPUs in the set.
    pub const fn count(self) -> u32 {
        self.0.count_ones()
    }

    /// The only CPU of a one-CPU set (a pinned task), else `None`.
    pub const fn only(self) -> Option<usize> {
        if self.0.is_power_of_two() { Some(self.0.trailing_zeros() as usize) } else { None }
    }

    /// The lowest CPU in the set.
    pub const fn lowest(self) -> Option<usize> {
        if self.0 == 0 { None } else { Some(self.0.trailing_zeros() as usize) }
    }

    /// The CPUs in the set, in id order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        let mut bits = self.0;
        core::iter::from_fn(move || {
            let cpu = CpuMask(bits).lowest()?;
            bits &= bits - 1;
            Some(cpu)
        })
    }

    /// A mask from the first `bytes.len().min(8)` bytes of a user
    /// `cpu_set_t` (little endian; missing bytes are zero, as Linux's
    /// `get_user_cpu_mask` clears the mask before a short copy).
    pub fn from_le_bytes(bytes: &[u8]) -> CpuMask {
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        CpuMask(u64::from_le_bytes(word))
    }

    /// The mask as 8 little-endian bytes (one `unsigned long` of `cpu_set_t`).
    pub const fn to_le_bytes(self) -> [u8; 8] {
        self.0.to_le_bytes()
    }
}

/// The CPU of `allowed` with the least `load`; ties go to `prefer` if it is
/// allowed, then to the lowest id. `None` if `allowed` is empty.
pub fn least_loaded(allowed: CpuMask, load: impl Fn(usize) -> usize, prefer: usize) -> Option<usize> {
    allowed.iter().min_by_key(|&c| (load(c), c != prefer))
}

/// Where a woken task goes: `last` (the CPU it last ran on) if `allowed`
/// holds it, else the least-loaded allowed CPU (ties to `prefer`).
/// `allowed` is the task's mask already intersected with the online CPUs.
pub fn wake_cpu(last: usize, allowed: CpuMask, load: impl Fn(usize) -> usize, prefer: usize) -> Option<usize> {
    if allowed.contains(last) {
        Some(last)
    } else {
        least_loaded(allowed, load, prefer)
    }
}

/// The CPU to steal from next: among `candidates` not in `tried`, the one
/// with the most `stealable` tasks (ties: the lowest id), if any has one.
/// Each count is read once. A thief calls it with itself in `tried`, then
/// adds each victim that had nothing for it.
pub fn busiest(candidates: CpuMask, tried: CpuMask, stealable: impl Fn(usize) -> usize) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for c in CpuMask(candidates.0 & !tried.0).iter() {
        let k = stealable(c);
        if k > 0 && best.is_none_or(|(_, b)| k > b) {
            best = Some((c, k));
        }
    }
    best.map(|(c, _)| c)
}
