//! COM1 serial console (16550 UART at I/O port 0x3F8, 115200 8N1).
//!
//! All kernel log output goes through [`write_fmt`] and [`write_bytes`]. One lock (`SERIAL`,
//! IRQ-saving, level `Console`) serialises whole lines so output from several
//! CPUs never interleaves mid-line. In a panic the lock is bypassed
//! ([`force_unlock_for_panic`]) so the message always gets out.

use crate::sync::{IrqSpinLock, LockLevel};
use core::fmt::{self, Write};
use x86_64::instructions::port::Port;

const COM1: u16 = 0x3F8;

struct Uart {
    data: Port<u8>,
    line_status: Port<u8>,
}

impl Uart {
    const fn new() -> Self {
        Uart { data: Port::new(COM1), line_status: Port::new(COM1 + 5) }
    }

    fn init(&mut self) {
        let regs = [
            (1, 0x00), // interrupts off
            (3, 0x80), // DLAB on
            (0, 0x01), // divisor 1 = 115200 baud
            (1, 0x00),
            (3, 0x03), // 8N1, DLAB off
            (2, 0xC7), // FIFO on, cleared, 14-byte threshold
            (4, 0x0B), // DTR, RTS, OUT2
        ];
        for (offset, value) in regs {
            // SAFETY: COM1's registers; writing them only configures the UART.
            unsafe { Port::<u8>::new(COM1 + offset).write(value) };
        }
    }

    fn put(&mut self, byte: u8) {
        // SAFETY: reading LSR and writing THR of COM1 have no side effects
        // beyond transmitting the byte.
        unsafe {
            while self.line_status.read() & 0x20 == 0 {
                core::hint::spin_loop();
            }
            self.data.write(byte);
        }
    }
}

impl Uart {
    /// Send `bytes`, each `\n` as `\r\n`.
    fn put_bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                self.put(b'\r');
            }
            self.put(b);
        }
    }
}

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.put_bytes(s.as_bytes());
        Ok(())
    }
}

static SERIAL: IrqSpinLock<Uart> = IrqSpinLock::new(LockLevel::Console, "serial", Uart::new());

/// Program the UART. Call once, first thing at boot.
pub fn init() {
    SERIAL.lock().init();
}

/// Write formatted text as one unit, then mirror it to the screen console.
pub fn write_fmt(args: fmt::Arguments) {
    let mut uart = SERIAL.lock();
    let _ = uart.write_fmt(args);
    drop(uart);
    crate::console::mirror(args);
}

/// Write raw bytes from user space (already copied into the kernel).
pub fn write_bytes(bytes: &[u8]) {
    SERIAL.lock().put_bytes(bytes);
    crate::console::mirror_bytes(bytes);
}

/// Let a panicking CPU print even if another CPU died holding the lock.
pub fn force_unlock_for_panic() {
    // SAFETY: called only on the panic path after the other CPUs are stopped
    // (or could not be); losing mutual exclusion can only garble output.
    unsafe { SERIAL.force_unlock() };
}
