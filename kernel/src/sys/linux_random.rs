//! Random bytes for Linux programs: `AT_RANDOM` (the loader) and
//! `getrandom(2)`.
//!
//! Each 64-bit output is SplitMix64's finaliser applied to a global counter
//! (advanced by the golden-ratio increment) mixed with fresh entropy: the
//! CPU's RDRAND when it has one, and always the TSC. That gives distinct,
//! well-spread bytes on every call and CPU, but it is not a vetted CSPRNG:
//! good for stack canaries and hash seeds (what `AT_RANDOM` feeds), not
//! for keys. There is no entropy pool to wait for, so `GRND_NONBLOCK` and
//! `GRND_RANDOM` never block.

#![forbid(unsafe_code)]

use super::{ArgRegs, Args};
use crate::error::{Errno, SysResult};
use crate::user::uaccess::UserSlice;
use core::sync::atomic::{AtomicU64, Ordering};
use mello_abi::linux::random::{GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM, MAX_PER_CALL};

static COUNTER: AtomicU64 = AtomicU64::new(0x853c_49e6_748f_ea9b);
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The next 64 random bits.
pub fn next_u64() -> u64 {
    let n = COUNTER.fetch_add(GOLDEN, Ordering::Relaxed).wrapping_add(GOLDEN);
    let entropy = crate::arch::cpu::rdrand64().unwrap_or(0) ^ crate::arch::cpu::rdtsc().rotate_left(17);
    mix(n ^ mix(entropy))
}

/// Fill `buf` with random bytes.
pub fn fill(buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        chunk.copy_from_slice(&next_u64().to_le_bytes()[..chunk.len()]);
    }
}

/// getrandom(buf, len, flags): `len` random bytes (at most `MAX_PER_CALL`);
/// a fault after some bytes returns the count written, as Linux does.
pub fn linux_getrandom(a: &Args) -> SysResult {
    let (buf, len, flags) = (a.a0(), a.a1(), a.get(2));
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_INSECURE | GRND_RANDOM) == GRND_INSECURE | GRND_RANDOM
    {
        return Err(Errno::EINVAL);
    }
    let len = len.min(MAX_PER_CALL);
    UserSlice::new(buf, len)?;
    let mut chunk = [0u8; 256];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(chunk.len());
        fill(&mut chunk[..n]);
        if let Err(e) = UserSlice::new(buf + done, n).and_then(|u| u.write_from(&chunk[..n])) {
            return if done > 0 { Ok(done) } else { Err(e) };
        }
        done += n;
    }
    Ok(done)
}
