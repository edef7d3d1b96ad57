//! The CMOS real-time clock: read the wall-clock time once at boot.
//!
//! The RTC's registers sit behind index port 0x70 and data port 0x71
//! (bit 7 of the index masks NMIs; it is left clear). While the RTC
//! updates its registers (once a second, for under 2 ms) status register A
//! shows "update in progress" and a read may see half-old, half-new
//! values, so [`read`] waits for the flag to clear, reads every register,
//! and repeats until two reads in a row agree (at most [`TRIES`] times).
//! Decoding (BCD or binary, 12- or 24-hour, the century) is the host-tested
//! `mello_rtc` crate's.
//!
//! Locking: `CMOS` (level `Device`) serialises index/data pairs.

use crate::sync::{IrqSpinLock, LockLevel};
use mello_rtc::{DateTime, Registers};
use x86_64::instructions::port::Port;

const CMOS_INDEX: u16 = 0x70;
const CMOS_DATA: u16 = 0x71;
const REG_STATUS_A: u8 = 0x0a;
const REG_STATUS_B: u8 = 0x0b;
/// Status A: an update is in progress.
const UPDATE_IN_PROGRESS: u8 = 0x80;
/// The century register of PC-compatible CMOS (QEMU's, and the ACPI FADT's
/// usual `CENTURY` index).
const REG_CENTURY: u8 = 0x32;
/// Reads of all registers before giving up on two that agree.
const TRIES: usize = 5;
/// Polls of status A per read (an update takes under 2 ms; a poll is one
/// port read, about 1 µs).
const UIP_POLLS: usize = 10_000;

static CMOS: IrqSpinLock<()> = IrqSpinLock::new(LockLevel::Device, "cmos", ());

fn read_reg(reg: u8) -> u8 {
    // SAFETY: ports 0x70/0x71 are the CMOS index/data pair on every PC;
    // callers hold `CMOS`, so the index written is the one read.
    unsafe {
        Port::<u8>::new(CMOS_INDEX).write(reg & 0x7f);
        Port::<u8>::new(CMOS_DATA).read()
    }
}

fn snapshot() -> Option<Registers> {
    let mut polls = 0;
    while read_reg(REG_STATUS_A) & UPDATE_IN_PROGRESS != 0 {
        polls += 1;
        if polls == UIP_POLLS {
            return None;
        }
    }
    Some(Registers {
        seconds: read_reg(0x00),
        minutes: read_reg(0x02),
        hours: read_reg(0x04),
        day: read_reg(0x07),
        month: read_reg(0x08),
        year: read_reg(0x09),
        century: Some(read_reg(REG_CENTURY)),
        status_b: read_reg(REG_STATUS_B),
    })
}

/// The RTC's date and time (UTC), or `None` if it never settles or holds
/// no valid date.
pub fn read() -> Option<DateTime> {
    let _cmos = CMOS.lock();
    let mut last = snapshot()?;
    for _ in 0..TRIES {
        let now = snapshot()?;
        if now == last {
            return now.decode();
        }
        last = now;
    }
    None
}
