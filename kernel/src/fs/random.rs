//! The kernel's random-number generator behind `/dev/random` and
//! `/dev/urandom`: ChaCha20 (RFC 8439's block function) in counter mode
//! with fast key erasure (after every request the key is replaced by fresh
//! keystream, so earlier output cannot be recomputed from a later state).
//!
//! Seeding: 256 bits from RDSEED/RDRAND when CPUID reports them
//! (`arch::cpu::hw_random`); otherwise from the jitter of the time-stamp
//! counter around memory and timing work (the low bits of TSC deltas),
//! folded with the boot time. Never a constant: every seed word mixes at
//! least the TSC at the moment it was taken. Writes to the devices and the
//! TSC at each request are mixed in too.
//!
//! Locking: the state is one `SpinLock` (level `Device`), taken alone for
//! the length of one request's keystream (into a kernel buffer).

use crate::sync::{LockLevel, SpinLock};

struct ChaCha {
    key: [u32; 8],
    counter: u64,
    seeded: bool,
}

static STATE: SpinLock<ChaCha> = SpinLock::new(LockLevel::Device, "random", ChaCha { key: [0; 8], counter: 0, seeded: false });

fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// One 64-byte ChaCha20 block for `key`, block `counter`, nonce `nonce`.
fn block(key: &[u32; 8], counter: u64, nonce: u32) -> [u8; 64] {
    let mut init = [0u32; 16];
    init[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    init[4..12].copy_from_slice(key);
    init[12] = counter as u32;
    init[13] = (counter >> 32) as u32;
    init[14] = nonce;
    let mut s = init;
    for _ in 0..10 {
        quarter(&mut s, 0, 4, 8, 12);
        quarter(&mut s, 1, 5, 9, 13);
        quarter(&mut s, 2, 6, 10, 14);
        quarter(&mut s, 3, 7, 11, 15);
        quarter(&mut s, 0, 5, 10, 15);
        quarter(&mut s, 1, 6, 11, 12);
        quarter(&mut s, 2, 7, 8, 13);
        quarter(&mut s, 3, 4, 9, 14);
    }
    let mut out = [0u8; 64];
    for (i, word) in s.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.wrapping_add(init[i]).to_le_bytes());
    }
    out
}

/// 64 bits of TSC jitter: the low bits of many short, uneven timings.
fn jitter64() -> u64 {
    let mut acc: u64 = crate::arch::cpu::rdtsc();
    let mut scratch = [0u64; 16];
    for round in 0..64u64 {
        let t0 = crate::arch::cpu::rdtsc();
        for (i, s) in scratch.iter_mut().enumerate() {
            *s = s.wrapping_mul(6364136223846793005).wrapping_add(t0 ^ i as u64);
        }
        let dt = crate::arch::cpu::rdtsc().wrapping_sub(t0);
        acc = (acc ^ dt ^ scratch[(round & 15) as usize]).rotate_left(7).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    acc ^ crate::arch::time::now_us()
}

fn seed_word() -> u64 {
    crate::arch::cpu::hw_random().unwrap_or_else(jitter64) ^ crate::arch::cpu::rdtsc()
}

fn ensure_seeded(st: &mut ChaCha) {
    if st.seeded {
        return;
    }
    for pair in st.key.chunks_mut(2) {
        let w = seed_word();
        pair[0] ^= w as u32;
        pair[1] ^= (w >> 32) as u32;
    }
    st.seeded = true;
}

/// Seed the generator now (boot), so the first reader does not pay for it.
pub fn init() {
    if !self_test() {
        crate::klog!("RANDOM", "ChaCha20 block function FAILED its RFC 8439 test vector");
    }
    ensure_seeded(&mut STATE.lock());
    let source = if crate::arch::cpu::has_rdseed() {
        "RDSEED"
    } else if crate::arch::cpu::has_rdrand() {
        "RDRAND"
    } else {
        "TSC jitter"
    };
    crate::klog!("RANDOM", "ChaCha20 generator seeded from {}", source);
}

/// Fill `out` with random bytes.
pub fn fill(out: &mut [u8]) {
    let mut st = STATE.lock();
    ensure_seeded(&mut st);
    let nonce = crate::arch::cpu::rdtsc() as u32;
    for chunk in out.chunks_mut(64) {
        let b = block(&st.key, st.counter, nonce);
        st.counter = st.counter.wrapping_add(1);
        chunk.copy_from_slice(&b[..chunk.len()]);
    }
    // Fast key erasure.
    let next = block(&st.key, st.counter, nonce);
    st.counter = st.counter.wrapping_add(1);
    for (i, k) in st.key.iter_mut().enumerate() {
        *k = u32::from_le_bytes([next[4 * i], next[4 * i + 1], next[4 * i + 2], next[4 * i + 3]]);
    }
}

/// Mix `data` (written to `/dev/random`) into the key; as on Linux, it
/// does not count as seeding.
pub fn mix(data: &[u8]) {
    let mut st = STATE.lock();
    for (i, chunk) in data.chunks(4).enumerate() {
        let mut w = [0u8; 4];
        w[..chunk.len()].copy_from_slice(chunk);
        let k = &mut st.key[i % 8];
        *k = (*k ^ u32::from_le_bytes(w)).rotate_left(5).wrapping_mul(0x9E37_79B1);
    }
}

/// RFC 8439 section 2.3.2's test vector (key 00..1f, counter 1, nonce
/// 00:00:00:09 00:00:00:4a 00:00:00:00): whether our block function
/// produces its first 16 bytes. Our words 12-13 hold a 64-bit counter and
/// word 14 the nonce, so the RFC's words map onto counter and nonce below.
pub fn self_test() -> bool {
    let key: [u32; 8] = core::array::from_fn(|i| {
        let b = 4 * i as u8;
        u32::from_le_bytes([b, b + 1, b + 2, b + 3])
    });
    let out = block(&key, 1 | (0x0900_0000u64 << 32), 0x4a00_0000);
    out[..16] == [0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4]
}
