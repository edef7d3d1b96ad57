//! Wall clock: the RTC reads back a valid date, and `realtime_us` (the
//! RTC at boot plus the TSC since) agrees with a fresh RTC reading and
//! moves forward with the monotonic clock.

use super::Test;
use crate::arch::{rtc, time};
use crate::kassert;
use alloc::string::String;

pub const TESTS: &[Test] = &[("rtc: the wall clock is the RTC's time and advances with the TSC", wall_clock_is_rtc)];

/// 2024-01-01T00:00:00Z: any RTC a test machine has is later than this.
const NOT_BEFORE: u64 = 1_704_067_200;

fn wall_clock_is_rtc() -> Result<(), String> {
    let t = rtc::read().ok_or("the RTC gave no valid date")?;
    let rtc_secs = t.unix_seconds().ok_or("RTC date out of range")?;
    kassert!(rtc_secs >= NOT_BEFORE, "RTC says {t:?}, before 2024");
    let wall = time::realtime_us() / 1_000_000;
    // Both count whole seconds from one instant; the RTC's second may tick
    // between the two reads, and the boot-time reading was truncated.
    kassert!(wall.abs_diff(rtc_secs) <= 2, "wall clock {wall} s, RTC {rtc_secs} s ({t:?})");
    let (w0, m0) = (time::realtime_us(), time::now_us());
    time::delay_us(20_000);
    let (w1, m1) = (time::realtime_us(), time::now_us());
    // Each pair is two reads of the TSC, some instructions apart.
    kassert!(w1 - w0 >= 20_000 && (w1 - w0).abs_diff(m1 - m0) <= 1_000, "wall clock moved {} us, monotonic {} us", w1 - w0, m1 - m0);
    Ok(())
}
