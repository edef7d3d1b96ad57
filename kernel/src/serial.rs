//! COM1 serial console (16550 UART at I/O port 0x3F8, 115200 8N1).
//!
//! Output: all kernel log output goes through [`write_fmt`]. One lock
//! (`SERIAL`, IRQ-saving, level `Console`) serialises whole lines so output
//! from several CPUs never interleaves mid-line. In a panic the lock is
//! bypassed ([`force_unlock_for_panic`]) so the message always gets out.
//! [`write_bytes`] (user fds 1/2) turns `\n` into `\r\n`; [`write_tty`]
//! sends a terminal's output verbatim (its line discipline already did the
//! output processing) to COM1 and the screen, [`write_serial_tty`] to COM1
//! only (`/dev/ttyS0`).
//!
//! Input: [`enable_input`] routes COM1's IRQ 4 through the I/O APIC to
//! [`RX_VECTOR`] on the BSP and enables the UART's received-data interrupt.
//! The handler reads every byte the receive FIFO holds (under `SERIAL`, so
//! it never interleaves with a transmit's LSR polling), releases the lock
//! and hands them, in order, to the input sink registered with
//! [`set_input_sink`] (the terminal service), in interrupt context. Bytes
//! that arrive while no sink is registered are counted and dropped.

use crate::arch::{apic, percpu, trap};
use crate::sync::{IrqSpinLock, LockLevel};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::instructions::port::Port;

const COM1: u16 = 0x3F8;
/// COM1's ISA IRQ.
const COM1_IRQ: u8 = 4;
/// The vector COM1's IRQ is routed to (the APIC map puts ISA IRQ n at 0x20 + n).
pub const RX_VECTOR: u8 = 0x20 + COM1_IRQ;
/// Interrupt enable register: received data available (and its FIFO timeout).
const IER_RX: u8 = 0x01;
/// Line status: a received byte is waiting.
const LSR_DATA_READY: u8 = 0x01;
/// Bytes read per lock hold in the receive handler.
const RX_BATCH: usize = 16;

/// Where received bytes go: called in interrupt context with the bytes of
/// one batch, in arrival order.
pub type InputSink = fn(&[u8]);

static SINK: IrqSpinLock<Option<InputSink>> = IrqSpinLock::new(LockLevel::Device, "serial sink", None);
/// Bytes received so far, and those dropped because no sink was registered.
static RX_BYTES: AtomicU64 = AtomicU64::new(0);
static RX_DROPPED: AtomicU64 = AtomicU64::new(0);

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
    /// Read the received bytes the UART holds, up to `buf.len()`.
    fn receive(&mut self, buf: &mut [u8]) -> usize {
        let mut n = 0;
        // SAFETY: reading COM1's LSR and RBR only takes the received byte
        // out of the receive FIFO.
        unsafe {
            while n < buf.len() && self.line_status.read() & LSR_DATA_READY != 0 {
                buf[n] = self.data.read();
                n += 1;
            }
        }
        n
    }

    fn set_interrupts(&mut self, ier: u8) {
        // SAFETY: writing COM1's IER only selects which events raise IRQ 4.
        unsafe { Port::<u8>::new(COM1 + 1).write(ier) };
    }

    /// Send `bytes` verbatim.
    fn put_raw(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.put(b);
        }
    }

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

/// Write a terminal's output: bytes the line discipline already processed
/// (`OPOST`/`ONLCR`), sent verbatim, then mirrored to the screen console.
pub fn write_tty(bytes: &[u8]) {
    SERIAL.lock().put_raw(bytes);
    crate::console::mirror_bytes(bytes);
}

/// Write a serial terminal's output (`/dev/ttyS0`): processed bytes,
/// verbatim, to COM1 only.
pub fn write_serial_tty(bytes: &[u8]) {
    SERIAL.lock().put_raw(bytes);
}

/// Register the function that receives COM1 input (replacing any earlier one).
pub fn set_input_sink(sink: InputSink) {
    *SINK.lock() = Some(sink);
}

/// Turn on COM1 input: route IRQ 4 to [`RX_VECTOR`] on the BSP and enable
/// the received-data interrupt. Call on the BSP once the APICs are set up.
/// Returns false if no I/O APIC serves IRQ 4 (input stays off).
pub fn enable_input() -> bool {
    trap::register(RX_VECTOR, rx_interrupt);
    let bsp = percpu::cpu(0).apic_id.load(Ordering::Relaxed);
    // Route before enabling: an edge raised while the entry is masked is lost.
    if !apic::route_irq(COM1_IRQ, RX_VECTOR, bsp) {
        crate::klog!("SERIAL", "no I/O APIC pin serves IRQ {}: COM1 input off", COM1_IRQ);
        return false;
    }
    SERIAL.lock().set_interrupts(IER_RX);
    // Bytes that came before the interrupt was on raise no edge: take them now.
    drain_rx();
    crate::klog!("SERIAL", "COM1 input on (IRQ {} -> vector {:#x}, CPU 0)", COM1_IRQ, RX_VECTOR);
    true
}

/// `(received, dropped)` byte counts of COM1 input.
pub fn rx_counts() -> (u64, u64) {
    (RX_BYTES.load(Ordering::Relaxed), RX_DROPPED.load(Ordering::Relaxed))
}

fn rx_interrupt(_frame: &mut trap::TrapFrame) {
    drain_rx();
    apic::eoi();
}

/// Hand every byte in the receive FIFO to the sink, a batch at a time; the
/// UART lock is not held while the sink runs (it echoes through us).
fn drain_rx() {
    loop {
        let mut buf = [0u8; RX_BATCH];
        let n = SERIAL.lock().receive(&mut buf);
        if n == 0 {
            return;
        }
        RX_BYTES.fetch_add(n as u64, Ordering::Relaxed);
        let sink = *SINK.lock();
        match sink {
            Some(sink) => sink(&buf[..n]),
            None => {
                RX_DROPPED.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
    }
}

/// Let a panicking CPU print even if another CPU died holding the lock.
pub fn force_unlock_for_panic() {
    // SAFETY: called only on the panic path after the other CPUs are stopped
    // (or could not be); losing mutual exclusion can only garble output.
    unsafe { SERIAL.force_unlock() };
}
