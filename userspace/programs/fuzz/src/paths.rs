//! Path arguments: fixed system paths (read-only use), the worker's own
//! directory `/tmp/fuzzW` (the only place calls that create, remove or
//! rename may touch), and malformed names (too long, through a file,
//! unterminated before an unmapped page).
//!
//! Invariants: no pool yields a path to a terminal (a read would block);
//! symlink targets stay inside the worker's directory or name places
//! nothing can be created in, so every creation lands in `/tmp/fuzzW`;
//! and symlink targets and exec paths never name a program in `/bin`, so a
//! random call can neither block the worker nor replace it.

use crate::pools::{BAD, Kind, Memory};
use crate::rng::Rng;
use alloc::format;
use alloc::vec::Vec;

/// Paths every worker may open read-only, stat, list or chdir to.
const SYSTEM: &[&[u8]] = &[
    b"/\0",
    b"/bin\0",
    b"/bin/true\0",
    b"/bin/fuzz\0",
    b"/dev\0",
    b"/dev/null\0",
    b"/dev/zero\0",
    b"/dev/full\0",
    b"/dev/random\0",
    b"/dev/urandom\0",
    b"/proc\0",
    b"/proc/self\0",
    b"/proc/self/status\0",
    b"/proc/self/stat\0",
    b"/proc/1/cmdline\0",
    b"/proc/meminfo\0",
    b"/proc/uptime\0",
    b"/proc/mounts\0",
    b"/proc/mellos/metrics\0",
    b"/tmp\0",
    b"/README\0",
    b"/nonexistent\0",
    b"/bin/true/x\0",
    b"\0",
    b".\0",
    b"..\0",
    b"//bin//./true\0",
    b"/proc/99999/stat\0",
    b"/dev/nonexistent\0",
];

/// Worker-relative names under `/tmp/fuzzW` (the cleanup knows them all).
pub const NAMES: &[&str] = &["f0", "f1", "f2", "d0", "d1", "d0/f0", "d0/d1", "d1/f1", "l0", "l1", "d0/l0"];

/// Targets for `symlink` (dangling, looping, relative, system files).
const TARGETS: &[&[u8]] = &[b"f0\0", b"/proc/self\0", b"l0\0", b"l1\0", b"/dev/null\0", b"gone\0", b"d0\0", b"d1\0"];

pub struct Paths {
    /// NUL-terminated `/tmp/fuzzW/NAME` for each of [`NAMES`].
    own: Vec<Vec<u8>>,
    /// `/tmp/fuzzW` itself.
    pub dir: Vec<u8>,
    /// A name longer than `PATH_MAX` and one component over `NAME_MAX`.
    long: Vec<u8>,
    long_name: Vec<u8>,
}

impl Paths {
    pub fn new(worker: usize) -> Paths {
        let dir = format!("/tmp/fuzz{worker}\0").into_bytes();
        let own = NAMES.iter().map(|n| format!("/tmp/fuzz{worker}/{n}\0").into_bytes()).collect();
        let mut long = Vec::new();
        long.resize(5000, b'a');
        long.push(0);
        let mut long_name = format!("/tmp/fuzz{worker}/").into_bytes();
        long_name.resize(long_name.len() + 300, b'n');
        long_name.push(0);
        Paths { own, dir, long, long_name }
    }

    /// The NUL-terminated absolute path of own entry `i`.
    pub fn own(&self, i: usize) -> &[u8] {
        &self.own[i]
    }

    pub fn malformed(&self, rng: &mut Rng, mem: &Memory) -> (usize, Kind) {
        match rng.below(4) {
            0 => (self.long.as_ptr() as usize, Kind::Valid),
            1 => (self.long_name.as_ptr() as usize, Kind::Valid),
            2 => {
                mem.fill_edge();
                (mem.edge_lo, Kind::Edge)
            }
            _ => (rng.pick(BAD), Kind::Bad),
        }
    }

    /// A path that may be created, removed or renamed: one of the
    /// worker's own, or malformed.
    pub fn writable(&self, rng: &mut Rng, mem: &Memory) -> (usize, Kind) {
        if rng.chance(85) {
            (self.own[rng.below(self.own.len() as u64) as usize].as_ptr() as usize, Kind::Valid)
        } else {
            self.malformed(rng, mem)
        }
    }

    /// Any path (read-only use).
    pub fn any(&self, rng: &mut Rng, mem: &Memory) -> (usize, Kind) {
        match rng.below(10) {
            0..=4 => (rng.pick(SYSTEM).as_ptr() as usize, Kind::Valid),
            5..=8 => self.writable(rng, mem),
            _ => self.malformed(rng, mem),
        }
    }

    /// Whether a path from [`Self::any`] is the worker's own (so writing
    /// opens are allowed on it).
    pub fn is_own(&self, addr: usize) -> bool {
        self.own.iter().any(|p| p.as_ptr() as usize == addr) || self.long_name.as_ptr() as usize == addr
    }

    /// A symlink target.
    pub fn target(&self, rng: &mut Rng, mem: &Memory) -> (usize, Kind) {
        if rng.chance(85) { (rng.pick(TARGETS).as_ptr() as usize, Kind::Valid) } else { self.malformed(rng, mem) }
    }
}
