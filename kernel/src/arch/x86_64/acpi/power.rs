//! ACPI power-off (sleep state S5) from the FADT and the DSDT's `_S5_`.
//!
//! Entering S5 means writing `SLP_TYPa << 10 | SLP_EN` to the PM1a control
//! register (and `SLP_TYPb` to PM1b, if the machine has one). The register
//! ports come from the FADT; the SLP_TYP values from the `_S5_` package in
//! the DSDT. Without an AML interpreter we find it by a byte scan:
//!
//! ```text
//! 08 [5C] "_S5_" 12 PkgLength NumElements  SLP_TYPa SLP_TYPb ...
//! NameOp  name   PackageOp                 each: 0A nn | 00 | 01 | FF | 0B nnnn
//! ```
//!
//! What [`init`] finds is stored in atomics written once at boot, so
//! [`poweroff`] takes no lock and works from any CPU, even while panicking.
//! Only when the FADT is unusable does `poweroff` try the fixed ports of
//! QEMU's and Bochs' chipsets, and then halts.

use super::tables::{PhysBytes, Table, SDT_HEADER_LEN};
use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU8, Ordering};
use x86_64::instructions::port::Port;

const SLP_EN: u16 = 1 << 13;
const SLP_TYP_MASK: u16 = 7 << 10;
const SCI_EN: u16 = 1;
/// GAS address space "system I/O".
const GAS_IO: u8 = 1;

static PM1A_CNT: AtomicU32 = AtomicU32::new(0);
static PM1B_CNT: AtomicU32 = AtomicU32::new(0);
static SLP_TYPA: AtomicU16 = AtomicU16::new(0);
static SLP_TYPB: AtomicU16 = AtomicU16::new(0);
static SMI_CMD: AtomicU32 = AtomicU32::new(0);
static ACPI_ENABLE: AtomicU8 = AtomicU8::new(0);
/// 1 once PM1a and `_S5_` were both found.
static USABLE: AtomicU8 = AtomicU8::new(0);

/// An I/O port from a legacy 32-bit FADT field or its 64-bit GAS twin.
fn io_port(fadt: &PhysBytes, legacy: usize, gas: usize) -> u32 {
    match fadt.u32(legacy) {
        Some(p) if p != 0 => p,
        _ => match (fadt.u8(gas), fadt.u64(gas + 4)) {
            (Some(GAS_IO), Some(addr)) if addr != 0 && addr <= 0xFFFF => addr as u32,
            _ => 0,
        },
    }
}

/// Read the FADT (and its DSDT) and remember how to enter S5.
/// Returns a one-line description for the boot log.
pub fn init(fadt: &Table) -> Option<(u32, u16)> {
    let f = fadt.data;
    PM1A_CNT.store(io_port(&f, 64, 172), Ordering::Relaxed);
    PM1B_CNT.store(io_port(&f, 68, 184), Ordering::Relaxed);
    SMI_CMD.store(f.u32(48).unwrap_or(0), Ordering::Relaxed);
    ACPI_ENABLE.store(f.u8(52).unwrap_or(0), Ordering::Relaxed);
    let dsdt = match f.u64(140) {
        Some(x) if x != 0 && f.len() >= 148 => x,
        _ => f.u32(40).unwrap_or(0) as u64,
    };
    let Some(dsdt) = Table::load(dsdt).filter(|t| t.signature() == b"DSDT") else {
        crate::klog!("ACPI", "no valid DSDT; ACPI power-off unavailable");
        return None;
    };
    let Some((a, b)) = find_s5(dsdt.data.bytes()) else {
        crate::klog!("ACPI", "no _S5_ object in the DSDT; ACPI power-off unavailable");
        return None;
    };
    SLP_TYPA.store(a, Ordering::Relaxed);
    SLP_TYPB.store(b, Ordering::Relaxed);
    let pm1a = PM1A_CNT.load(Ordering::Relaxed);
    if pm1a == 0 {
        return None;
    }
    USABLE.store(1, Ordering::Release);
    Some((pm1a, a))
}

/// Find `_S5_` in AML and decode its first two package elements.
fn find_s5(aml: &[u8]) -> Option<(u16, u16)> {
    let mut i = SDT_HEADER_LEN;
    while i + 4 <= aml.len() {
        if &aml[i..i + 4] == b"_S5_" {
            let named = (i >= 1 && aml[i - 1] == 0x08) || (i >= 2 && aml[i - 2] == 0x08 && aml[i - 1] == b'\\');
            if named {
                if let Some(v) = decode_s5_package(&aml[i + 4..]) {
                    return Some(v);
                }
            }
        }
        i += 1;
    }
    None
}

/// Decode `12 PkgLength NumElements a b ...` into (a, b).
fn decode_s5_package(p: &[u8]) -> Option<(u16, u16)> {
    if *p.first()? != 0x12 {
        return None;
    }
    let follow = (p.get(1)? >> 6) as usize; // PkgLength: extra bytes in bits 7:6
    let mut at = 2 + follow; // skip PackageOp and PkgLength
    let count = *p.get(at)?;
    at += 1;
    let (a, used) = decode_integer(p.get(at..)?)?;
    at += used;
    let b = if count >= 2 { decode_integer(p.get(at..)?)?.0 } else { a };
    Some((a & 7, b & 7))
}

/// Decode one AML integer constant; returns (value, bytes used).
fn decode_integer(p: &[u8]) -> Option<(u16, usize)> {
    match *p.first()? {
        0x00 => Some((0, 1)),       // ZeroOp
        0x01 => Some((1, 1)),       // OneOp
        0xFF => Some((0xFFFF, 1)),  // OnesOp
        0x0A => Some((*p.get(1)? as u16, 2)), // BytePrefix
        0x0B => Some((u16::from_le_bytes([*p.get(1)?, *p.get(2)?]), 3)), // WordPrefix
        0x0C => Some((u16::from_le_bytes([*p.get(1)?, *p.get(2)?]), 5)), // DWordPrefix
        _ => None,
    }
}

/// Switch the chipset into ACPI mode if the firmware left it in legacy mode.
fn enable_acpi_mode(pm1a: u16) {
    // SAFETY: `pm1a` is the FADT's PM1a control port; reading it has no side effects.
    let cnt = unsafe { Port::<u16>::new(pm1a).read() };
    let (smi, enable) = (SMI_CMD.load(Ordering::Relaxed), ACPI_ENABLE.load(Ordering::Relaxed));
    if cnt & SCI_EN != 0 || smi == 0 || enable == 0 || smi > 0xFFFF {
        return;
    }
    // SAFETY: writing ACPI_ENABLE to SMI_CMD is the FADT's documented handshake.
    unsafe { Port::<u8>::new(smi as u16).write(enable) };
    for _ in 0..300 {
        // SAFETY: as above, a read of PM1a_CNT.
        if unsafe { Port::<u16>::new(pm1a).read() } & SCI_EN != 0 {
            break;
        }
        crate::arch::time::delay_us(10_000);
    }
}

/// Write SLP_TYP | SLP_EN into one PM1 control register.
fn enter_s5(port: u16, slp_typ: u16) {
    // SAFETY: `port` is a PM1x control port from the FADT; setting SLP_EN
    // with the `_S5_` sleep type powers the machine off, which is the intent.
    unsafe {
        let mut p = Port::<u16>::new(port);
        let v = p.read() & !(SLP_TYP_MASK | SLP_EN);
        p.write(v | (slp_typ << 10) | SLP_EN);
    }
}

/// Power the machine off (ACPI S5). Prints nothing.
pub fn poweroff() -> ! {
    crate::arch::irq::disable();
    if USABLE.load(Ordering::Acquire) == 1 {
        let pm1a = PM1A_CNT.load(Ordering::Relaxed) as u16;
        let pm1b = PM1B_CNT.load(Ordering::Relaxed) as u16;
        enable_acpi_mode(pm1a);
        enter_s5(pm1a, SLP_TYPA.load(Ordering::Relaxed));
        if pm1b != 0 {
            enter_s5(pm1b, SLP_TYPB.load(Ordering::Relaxed));
        }
        // The write takes effect at once on real chipsets and in QEMU.
        crate::arch::time::delay_us(100_000);
    } else {
        // FADT unusable: the fixed PM1a ports of QEMU (PIIX4 and ICH9 at
        // 0x604), older Bochs/QEMU (0xB004) and VirtualBox (0x4004).
        // SAFETY: writes to these ports only power off those chipsets; on
        // anything else they go nowhere.
        unsafe {
            Port::<u16>::new(0x604).write(0x2000);
            Port::<u16>::new(0xB004).write(0x2000);
            Port::<u16>::new(0x4004).write(0x3400);
        }
    }
    crate::arch::irq::halt_forever()
}

/// Reset the machine (`reboot(RESTART)`): the PCI reset control register
/// (0xCF9, PIIX/ICH), then the keyboard controller's reset line, then a
/// triple fault if neither worked. Prints nothing.
pub fn reset() -> ! {
    crate::arch::irq::disable();
    // SAFETY: 0xCF9 is the chipset's reset control on PIIX and ICH (QEMU
    // pc and q35); bit 1 then bits 1|2 request a hard reset. 0x64 <- 0xFE
    // pulses the CPU reset line on any PC keyboard controller. Both only
    // reset the machine, which is the intent.
    unsafe {
        Port::<u8>::new(0xCF9).write(0x02);
        Port::<u8>::new(0xCF9).write(0x06);
    }
    crate::arch::time::delay_us(100_000);
    // SAFETY: as above.
    unsafe { Port::<u8>::new(0x64).write(0xFE) };
    crate::arch::time::delay_us(100_000);
    crate::arch::irq::halt_forever()
}
