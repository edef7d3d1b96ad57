//! Argument pools: the boundary values the workers draw from, and the
//! memory the kernel may read and write.
//!
//! Pointers come with a [`Kind`] that the checks in `calls.rs` rely on:
//! * `Valid`: inside [`SCRATCH`] with the length kept inside it (memory the
//!   fuzzer never interprets, so whatever the kernel writes there is
//!   harmless);
//! * `Edge`: in the dead top of the initial stack (argv and auxv, copied
//!   out at start), just below the first unmapped page: a copy runs into
//!   the hole (a partial result or `EFAULT`);
//! * `ReadOnly`: in [`RODATA`] (a read-only page): reading is fine, a
//!   write must fail; its bytes are checked unchanged at the end;
//! * `Bad`: NULL, the first 64 KiB, the last user page, kernel addresses
//!   (direct map, heap, kernel stacks, image), non-canonical and wrapping
//!   ranges: never accepted.
//!
//! Nothing here hands out a length that would let the kernel write over
//! memory the fuzzer uses: outputs go to `Valid` ranges whose length fits,
//! or to places where any write must fail.

use crate::rng::Rng;
use core::cell::UnsafeCell;

pub const SCRATCH_SIZE: usize = 64 * 1024;
/// Memory only the kernel writes (the program never reads it as data).
pub struct Scratch(UnsafeCell<[u8; SCRATCH_SIZE]>);
// SAFETY: each process is single-threaded; the program only takes the
// address (and reads bytes back through raw pointers in sequences).
unsafe impl Sync for Scratch {}
pub static SCRATCH: Scratch = Scratch(UnsafeCell::new([0; SCRATCH_SIZE]));

/// A read-only page of known content (checked by [`rodata_intact`]).
#[repr(align(4096))]
pub struct Page(pub [u8; 4096]);
pub static RODATA: Page = Page([0xA5; 4096]);

pub fn scratch() -> usize {
    SCRATCH.0.get() as usize
}

pub fn rodata_intact() -> bool {
    // Read through a volatile pointer: the compiler may not assume the
    // constant, the kernel might (wrongly) have written it.
    let p = RODATA.0.as_ptr();
    (0..4096).all(|i| {
        // SAFETY: `p + i` is inside the static page.
        let b = unsafe { core::ptr::read_volatile(p.add(i)) };
        b == 0xA5
    })
}

/// Which kind of memory a pointer argument names (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Valid,
    Edge,
    ReadOnly,
    Bad,
}

/// The addresses no call may accept.
pub const BAD: &[usize] = &[
    0,
    1,
    0xfff,
    0x1000,
    0xffff,           // just below the first user address
    0x7fff_ffff_f000, // the last user page (never mapped)
    0x7fff_ffff_fff8, // 8 bytes below the end of user space
    0x7fff_ffff_ffff,
    0x0000_8000_0000_0000, // first non-canonical address
    0x0000_8000_0000_1000,
    0x8000_0000_0000_0000,
    0xdead_beef_0000_0000,
    0xffff_7fff_ffff_f000, // last non-canonical page
    0xffff_8000_0000_0000, // direct map of physical memory
    0xffff_8000_0010_0000, // ... the kernel's load address
    0xffff_a000_0000_0000, // kernel heap
    0xffff_b000_0000_0000, // kernel stacks
    0xffff_ffff_8000_0000, // kernel image
    0xffff_ffff_8010_0000,
    usize::MAX - 7, // wraps
    usize::MAX,
    0x1000_0000_0000, // unmapped, canonical user
    0x5555_0000_0000,
];

/// Lengths: zero, page edges, huge and "negative".
pub const LENS: &[usize] = &[
    0,
    1,
    2,
    7,
    8,
    15,
    16,
    63,
    64,
    143,
    144,
    255,
    256,
    257,
    4095,
    4096,
    4097,
    8192,
    65535,
    65536,
    65537,
    1 << 20,
    1 << 24,
    1 << 31,
    1 << 32,
    1 << 47,
    usize::MAX / 2,
    usize::MAX - 4095,
    usize::MAX,
];

/// Plain integers (flags, modes, offsets, commands, pids).
pub const INTS: &[u64] = &[
    0,
    1,
    2,
    3,
    4,
    5,
    7,
    8,
    16,
    0x40,
    0x80,
    0x100,
    0x1000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    i64::MAX as u64,
    1 << 63,
    u64::MAX,
    u64::MAX - 1,
    (-4096i64) as u64,
    (-100i64) as u64,
];

/// The per-process memory layout the pointer pools use.
#[derive(Clone, Copy)]
pub struct Memory {
    /// The dead top of the initial stack: `[edge_lo, edge_hi)`, with
    /// `edge_hi` the first unmapped page.
    pub edge_lo: usize,
    pub edge_hi: usize,
}

impl Memory {
    /// A buffer for `purpose` with its length: `(addr, len, kind)`.
    /// `max_valid` caps the length of a `Valid` buffer (for outputs that
    /// must not run past what the kernel may write).
    pub fn buffer(&self, rng: &mut Rng) -> (usize, usize, Kind) {
        match rng.below(20) {
            0..=8 => {
                let len = self.small_len(rng).min(SCRATCH_SIZE);
                let off = rng.below((SCRATCH_SIZE - len + 1) as u64) as usize;
                (scratch() + off, len, Kind::Valid)
            }
            9..=10 => {
                let span = self.edge_hi - self.edge_lo;
                let back = 1 + rng.below(span.max(1) as u64) as usize;
                (self.edge_hi - back.min(span), rng.pick(LENS), Kind::Edge)
            }
            11..=12 => {
                let off = rng.below(4096) as usize;
                (RODATA.0.as_ptr() as usize + off, rng.pick(LENS).min(4096 - off).max(1), Kind::ReadOnly)
            }
            _ => (rng.pick(BAD), rng.pick(LENS), Kind::Bad),
        }
    }

    /// A length biased to small values, page edges and the structure sizes.
    pub fn small_len(&self, rng: &mut Rng) -> usize {
        match rng.below(4) {
            0 => rng.below(64) as usize,
            1 => rng.below(SCRATCH_SIZE as u64 + 1) as usize,
            _ => rng.pick(&LENS[..20]),
        }
    }

    /// Fill the edge area with non-NUL bytes (a string that never ends
    /// before the hole).
    pub fn fill_edge(&self) {
        for a in self.edge_lo..self.edge_hi {
            // SAFETY: the dead top of this process's initial stack, owned
            // by nothing else any more (see `main::memory`).
            unsafe { core::ptr::write_volatile(a as *mut u8, b'A') };
        }
    }
}

/// An integer argument: a boundary value or random bits.
pub fn int(rng: &mut Rng) -> u64 {
    match rng.below(4) {
        0 => rng.next(),
        1 => rng.below(64),
        _ => rng.pick(INTS),
    }
}
