//! Wall-clock arithmetic for the CMOS real-time clock: decode the RTC's
//! registers into a civil date ([`Registers::decode`]) and turn the date
//! into seconds since the Unix epoch ([`DateTime::unix_seconds`]).
//!
//! The PC's RTC (MC146818 and its successors) keeps seconds, minutes,
//! hours, day, month and a two-digit year in registers 0x00, 0x02, 0x04,
//! 0x07, 0x08 and 0x09; status register B (0x0B) says whether they are BCD
//! (bit 2 clear) and whether hours are 12-hour (bit 1 clear; then bit 7 of
//! the hour means PM). The century is in register 0x32 on the PCs that
//! have one (QEMU's does); without it, a two-digit year means 1970..2069,
//! as Linux's `mc146818_get_time` assumes. The RTC keeps UTC on the
//! machines MelloOS targets (QEMU's default, Linux's convention).
//!
//! Pure arithmetic, no I/O: the kernel reads the ports (twice, until two
//! reads agree, so an update in between is not seen half-done) and hands
//! the bytes here. Dates from 1970 to 9999 convert; anything invalid (a
//! month 13, a BCD nibble above 9) is `None`, never a wrong time.
#![no_std]

/// The raw RTC registers a time is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registers {
    pub seconds: u8,
    pub minutes: u8,
    pub hours: u8,
    pub day: u8,
    pub month: u8,
    pub year: u8,
    /// Register 0x32, if the machine has it (0 or garbage otherwise).
    pub century: Option<u8>,
    /// Status register B.
    pub status_b: u8,
}

/// Status B bit: registers are binary, not BCD.
pub const STATUS_B_BINARY: u8 = 1 << 2;
/// Status B bit: hours run 0..=23 (else 1..=12 with bit 7 = PM).
pub const STATUS_B_24H: u8 = 1 << 1;

/// A UTC calendar date and time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: u32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

fn bcd(v: u8) -> Option<u32> {
    let (hi, lo) = (v >> 4, v & 0xf);
    (hi <= 9 && lo <= 9).then_some(hi as u32 * 10 + lo as u32)
}

impl Registers {
    /// The date these registers hold, or `None` if they are not a valid
    /// date (see the crate doc).
    pub fn decode(&self) -> Option<DateTime> {
        let binary = self.status_b & STATUS_B_BINARY != 0;
        let num = |v: u8| if binary { Some(v as u32) } else { bcd(v) };
        let pm = self.status_b & STATUS_B_24H == 0 && self.hours & 0x80 != 0;
        let mut hour = num(self.hours & 0x7f)?;
        if self.status_b & STATUS_B_24H == 0 {
            if !(1..=12).contains(&hour) {
                return None;
            }
            hour = hour % 12 + if pm { 12 } else { 0 };
        }
        let two_digit = num(self.year)?;
        let year = match self.century.and_then(num) {
            Some(c @ 19..=99) => c * 100 + two_digit,
            _ if two_digit < 70 => 2000 + two_digit,
            _ => 1900 + two_digit,
        };
        let t = DateTime {
            year,
            month: num(self.month)?,
            day: num(self.day)?,
            hour,
            minute: num(self.minutes)?,
            second: num(self.seconds)?,
        };
        t.valid().then_some(t)
    }
}

fn leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl DateTime {
    /// Whether every field is in range (years 1970..=9999; a leap second
    /// `:60` is not accepted, as the RTC never shows one).
    pub fn valid(&self) -> bool {
        (1970..=9999).contains(&self.year)
            && (1..=12).contains(&self.month)
            && (1..=days_in_month(self.year, self.month)).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }

    /// Days from 1970-01-01 to this date (the proleptic Gregorian
    /// calendar; shifted so the year starts in March and leap days fall
    /// at its end).
    fn days_since_epoch(&self) -> i64 {
        let (y, m) = if self.month <= 2 { (self.year as i64 - 1, self.month + 9) } else { (self.year as i64, self.month - 3) };
        let era = y.div_euclid(400);
        let year_of_era = y - era * 400;
        let day_of_year = (153 * m as i64 + 2) / 5 + self.day as i64 - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// Seconds since 1970-01-01 00:00:00 UTC, or `None` if invalid.
    pub fn unix_seconds(&self) -> Option<u64> {
        if !self.valid() {
            return None;
        }
        let secs = self.days_since_epoch() * 86_400 + (self.hour * 3600 + self.minute * 60 + self.second) as i64;
        u64::try_from(secs).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> DateTime {
        DateTime { year, month, day, hour, minute, second }
    }

    #[test]
    fn known_instants() {
        assert_eq!(dt(1970, 1, 1, 0, 0, 0).unix_seconds(), Some(0));
        assert_eq!(dt(2000, 3, 1, 0, 0, 0).unix_seconds(), Some(951_868_800));
        assert_eq!(dt(2038, 1, 19, 3, 14, 8).unix_seconds(), Some(1 << 31));
        assert_eq!(dt(2026, 12, 2, 15, 19, 36).unix_seconds(), Some(1_796_224_776));
        assert_eq!(dt(2024, 2, 29, 23, 59, 59).unix_seconds(), Some(1_709_251_199));
    }

    #[test]
    fn consecutive_days_are_86400_apart() {
        let mut prev = dt(1970, 1, 1, 0, 0, 0).unix_seconds().unwrap();
        for year in 1970..2101 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    let t = dt(year, month, day, 0, 0, 0).unix_seconds().unwrap();
                    assert!(t == prev || t == prev + 86_400, "{year}-{month}-{day}");
                    prev = t;
                }
            }
        }
        assert_eq!(prev, dt(2100, 12, 31, 0, 0, 0).unix_seconds().unwrap());
    }

    #[test]
    fn invalid_dates() {
        assert_eq!(dt(2023, 2, 29, 0, 0, 0).unix_seconds(), None);
        assert_eq!(dt(2000, 13, 1, 0, 0, 0).unix_seconds(), None);
        assert_eq!(dt(1969, 12, 31, 23, 59, 59).unix_seconds(), None);
        assert_eq!(dt(2000, 1, 1, 24, 0, 0).unix_seconds(), None);
        assert_eq!(dt(2000, 4, 31, 0, 0, 0).unix_seconds(), None);
    }

    fn regs(status_b: u8, hours: u8, century: Option<u8>) -> Registers {
        Registers { seconds: 0x36, minutes: 0x19, hours, day: 0x02, month: 0x12, year: 0x26, century, status_b }
    }

    #[test]
    fn bcd_24_hour_with_century() {
        assert_eq!(regs(STATUS_B_24H, 0x15, Some(0x20)).decode(), Some(dt(2026, 12, 2, 15, 19, 36)));
    }

    #[test]
    fn twelve_hour_clock() {
        assert_eq!(regs(0, 0x83, Some(0x20)).decode().map(|d| d.hour), Some(15), "3 PM");
        assert_eq!(regs(0, 0x12, Some(0x20)).decode().map(|d| d.hour), Some(0), "12 AM is midnight");
        assert_eq!(regs(0, 0x92, Some(0x20)).decode().map(|d| d.hour), Some(12), "12 PM is noon");
        assert_eq!(regs(0, 0x13, Some(0x20)).decode(), None, "13 on a 12-hour clock");
    }

    #[test]
    fn binary_registers_and_no_century() {
        let r = Registers { seconds: 59, minutes: 30, hours: 23, day: 31, month: 12, year: 99, century: None, status_b: STATUS_B_BINARY | STATUS_B_24H };
        assert_eq!(r.decode(), Some(dt(1999, 12, 31, 23, 30, 59)));
        let r = Registers { year: 5, ..r };
        assert_eq!(r.decode().map(|d| d.year), Some(2005));
        let garbage = Registers { century: Some(0xff), ..r };
        assert_eq!(garbage.decode().map(|d| d.year), Some(2005), "an invalid century register is ignored");
    }

    #[test]
    fn bad_bcd_is_refused() {
        let r = Registers { seconds: 0x6a, ..regs(STATUS_B_24H, 0x15, Some(0x20)) };
        assert_eq!(r.decode(), None);
    }
}
