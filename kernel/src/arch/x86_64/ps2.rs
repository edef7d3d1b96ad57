//! The PS/2 keyboard behind the i8042 controller (ports 0x60/0x64).
//!
//! [`init`] sets the controller up for interrupt-driven keyboard input:
//! both ports disabled while it works, stale output flushed, the mouse
//! (aux) port left off, scancode translation on (so the keyboard's set 2
//! arrives as set 1, as on every PC and in QEMU), the keyboard port's IRQ 1
//! on, scanning enabled (`F4`, in case the firmware left it off). IRQ 1 goes
//! through the I/O APIC to [`KBD_VECTOR`] on the BSP.
//!
//! The handler reads every byte the controller holds, decodes scancode
//! set 1 with the `pc-keyboard` crate (US layout; shift, ctrl, alt and caps
//! lock state are its `Modifiers`) and turns key presses into the bytes
//! Linux's console sends for them ([`key_bytes`]): characters as UTF-8,
//! ctrl+letter (and ctrl with `@[\]^_`, space, `?`) as control bytes, alt
//! as an ESC prefix, Enter as `\r`, Backspace as DEL (0x7f), arrows and the
//! editing and function keys as their escape sequences. The bytes go to the
//! input sink registered with [`set_input_sink`] (the terminal service),
//! in interrupt context, after the decoder's lock is released.
//!
//! Locking: `KEYBOARD` (level `Device`, IRQ-safe) holds the decoder state
//! and serialises access to the controller's ports; `SINK` (level `Device`)
//! the sink, copied out before it is called.

use super::{apic, percpu, trap};
use crate::sync::{IrqSpinLock, LockLevel};
use core::sync::atomic::Ordering;
use pc_keyboard::{layouts::Us104Key, DecodedKey, HandleControl, KeyCode, KeyState, Modifiers, PS2Keyboard, ScancodeSet1};
use x86_64::instructions::port::Port;

const DATA: u16 = 0x60;
const STATUS_COMMAND: u16 = 0x64;
/// Status: output buffer full (a byte to read at 0x60).
const ST_OUTPUT_FULL: u8 = 0x01;
/// Status: input buffer full (the controller has not taken our last write).
const ST_INPUT_FULL: u8 = 0x02;
/// Status: the byte in the output buffer is from the aux (mouse) port.
const ST_AUX_DATA: u8 = 0x20;
const CMD_READ_CONFIG: u8 = 0x20;
const CMD_WRITE_CONFIG: u8 = 0x60;
const CMD_DISABLE_AUX: u8 = 0xA7;
const CMD_DISABLE_KBD: u8 = 0xAD;
const CMD_ENABLE_KBD: u8 = 0xAE;
const CFG_KBD_IRQ: u8 = 0x01;
const CFG_AUX_IRQ: u8 = 0x02;
const CFG_KBD_CLOCK_OFF: u8 = 0x10;
const CFG_AUX_CLOCK_OFF: u8 = 0x20;
const CFG_TRANSLATE: u8 = 0x40;
const KBD_ENABLE_SCANNING: u8 = 0xF4;
const KBD_ACK: u8 = 0xFA;
/// Status polls before a controller wait gives up (the i8042 answers
/// within microseconds; this is milliseconds even under TCG).
const SPIN_LIMIT: u32 = 200_000;

/// The keyboard's ISA IRQ.
const KBD_IRQ: u8 = 1;
/// The vector IRQ 1 is routed to (the APIC map puts ISA IRQ n at 0x20 + n).
pub const KBD_VECTOR: u8 = 0x20 + KBD_IRQ;
/// The longest byte sequence one key produces (ESC [ 1 7 ~ with an alt ESC).
const MAX_KEY_BYTES: usize = 8;
/// Scancode bytes handled per lock hold.
const BATCH: usize = 16;

/// Where keyboard input goes: called in interrupt context with the bytes
/// of one batch of key presses, in order.
pub type InputSink = fn(&[u8]);

type Keyboard = PS2Keyboard<Us104Key, ScancodeSet1>;

static KEYBOARD: IrqSpinLock<Keyboard> = IrqSpinLock::new(
    LockLevel::Device,
    "ps2 keyboard",
    PS2Keyboard::new(ScancodeSet1::new(), Us104Key, HandleControl::MapLettersToUnicode),
);
static SINK: IrqSpinLock<Option<InputSink>> = IrqSpinLock::new(LockLevel::Device, "ps2 sink", None);

fn status() -> u8 {
    // SAFETY: reading the i8042 status register has no side effects.
    unsafe { Port::<u8>::new(STATUS_COMMAND).read() }
}

fn read_data() -> u8 {
    // SAFETY: reading 0x60 takes the byte out of the controller's output
    // buffer; the callers hold `KEYBOARD` (or run before the IRQ is on).
    unsafe { Port::<u8>::new(DATA).read() }
}

/// Wait until the controller can take a byte; false on timeout.
fn wait_input_empty() -> bool {
    (0..SPIN_LIMIT).any(|_| status() & ST_INPUT_FULL == 0 || {
        core::hint::spin_loop();
        false
    })
}

/// Wait until a byte is there to read; false on timeout.
fn wait_output_full() -> bool {
    (0..SPIN_LIMIT).any(|_| status() & ST_OUTPUT_FULL != 0 || {
        core::hint::spin_loop();
        false
    })
}

fn write_port(port: u16, value: u8) -> bool {
    if !wait_input_empty() {
        return false;
    }
    // SAFETY: a command (0x64) or data byte (0x60) for the i8042, written
    // only when its input buffer is empty.
    unsafe { Port::<u8>::new(port).write(value) };
    true
}

/// Discard whatever the controller holds (bounded).
fn flush_output() {
    for _ in 0..64 {
        if status() & ST_OUTPUT_FULL == 0 {
            return;
        }
        read_data();
    }
}

/// Register the function that receives keyboard input (replacing any
/// earlier one).
pub fn set_input_sink(sink: InputSink) {
    *SINK.lock() = Some(sink);
}

/// Set up the i8042 and the keyboard for interrupts and route IRQ 1 to
/// [`KBD_VECTOR`] on the BSP. Call on the BSP once the APICs are set up.
/// Returns false (and leaves the keyboard off) if there is no controller,
/// it does not answer, or no I/O APIC serves IRQ 1.
pub fn init() -> bool {
    if let Err(why) = setup_controller() {
        crate::klog!("PS2", "no keyboard: {}", why);
        return false;
    }
    trap::register(KBD_VECTOR, kbd_interrupt);
    let bsp = percpu::cpu(0).apic_id.load(Ordering::Relaxed);
    if !apic::route_irq(KBD_IRQ, KBD_VECTOR, bsp) {
        crate::klog!("PS2", "no I/O APIC pin serves IRQ {}: keyboard off", KBD_IRQ);
        return false;
    }
    // A byte that came before the route raised an edge nobody saw, and
    // the controller raises no more while its buffer is full: read it now.
    drain();
    crate::klog!("PS2", "keyboard on (i8042, scancode set 1, US layout; IRQ {} -> vector {:#x}, CPU 0)", KBD_IRQ, KBD_VECTOR);
    true
}

fn read_config() -> Result<u8, &'static str> {
    if !write_port(STATUS_COMMAND, CMD_READ_CONFIG) || !wait_output_full() {
        return Err("the i8042 does not answer");
    }
    Ok(read_data())
}

fn setup_controller() -> Result<(), &'static str> {
    if status() == 0xFF {
        return Err("no i8042 (status port reads 0xff)");
    }
    let _kbd = KEYBOARD.lock();
    if !write_port(STATUS_COMMAND, CMD_DISABLE_KBD) || !write_port(STATUS_COMMAND, CMD_DISABLE_AUX) {
        return Err("the i8042 takes no commands");
    }
    flush_output();
    let config = read_config()?;
    let config = (config | CFG_TRANSLATE | CFG_AUX_CLOCK_OFF | CFG_KBD_IRQ) & !(CFG_AUX_IRQ | CFG_KBD_CLOCK_OFF);
    if !write_port(STATUS_COMMAND, CMD_WRITE_CONFIG) || !write_port(DATA, config) {
        return Err("the i8042 does not take its configuration");
    }
    if !write_port(STATUS_COMMAND, CMD_ENABLE_KBD) || !write_port(DATA, KBD_ENABLE_SCANNING) {
        return Err("the keyboard port takes no commands");
    }
    // The keyboard acknowledges (0xFA); a keyboard that is missing times out.
    if !wait_output_full() {
        return Err("no keyboard answers on the i8042's first port");
    }
    let ack = read_data();
    if ack != KBD_ACK {
        crate::klog!("PS2", "keyboard answered {:#04x} to enable-scanning (expected 0xfa)", ack);
    }
    flush_output();
    Ok(())
}

fn kbd_interrupt(_frame: &mut trap::TrapFrame) {
    drain();
    apic::eoi();
}

/// Decode every byte the controller holds and hand the resulting input to
/// the sink, one batch per lock hold.
fn drain() {
    loop {
        let mut out = [0u8; BATCH * MAX_KEY_BYTES];
        let mut len = 0;
        let mut seen = 0;
        {
            let mut kbd = KEYBOARD.lock();
            while seen < BATCH {
                let st = status();
                if st & ST_OUTPUT_FULL == 0 {
                    break;
                }
                let byte = read_data();
                seen += 1;
                if st & ST_AUX_DATA != 0 {
                    continue; // a mouse byte: the aux port is off, but be safe
                }
                let Ok(Some(event)) = kbd.add_byte(byte) else { continue };
                let code = event.code;
                let down = event.state == KeyState::Down;
                if let Some(key) = kbd.process_keyevent(event) {
                    if down {
                        len += key_bytes(code, key, kbd.get_modifiers(), &mut out[len..]);
                    }
                }
            }
        }
        if len > 0 {
            let sink = *SINK.lock();
            if let Some(sink) = sink {
                sink(&out[..len]);
            }
        }
        if seen < BATCH {
            return;
        }
    }
}

/// The bytes Linux's console (US keymap) sends for a key press: written to
/// `out` (at least [`MAX_KEY_BYTES`] long); returns how many.
fn key_bytes(code: KeyCode, key: DecodedKey, m: &Modifiers, out: &mut [u8]) -> usize {
    let ctrl = m.lctrl || m.rctrl;
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        out[n..n + bytes.len()].copy_from_slice(bytes);
        n += bytes.len();
    };
    // Alt (not AltGr) + key: ESC, then the key (Linux's "meta sends escape").
    if m.lalt && !matches!(key, DecodedKey::RawKey(_)) {
        put(b"\x1b");
    }
    // A key the layout turned into another (the keypad without num lock
    // gives arrows, Home, ...) counts as that key.
    let code = if let DecodedKey::RawKey(k) = key { k } else { code };
    let seq: &[u8] = match (code, key) {
        (KeyCode::Return | KeyCode::NumpadEnter, _) => b"\r",
        (KeyCode::Backspace, _) => b"\x7f",
        (KeyCode::Delete, _) | (KeyCode::NumpadPeriod, DecodedKey::Unicode('\x7f')) => b"\x1b[3~",
        (KeyCode::ArrowUp, _) => b"\x1b[A",
        (KeyCode::ArrowDown, _) => b"\x1b[B",
        (KeyCode::ArrowRight, _) => b"\x1b[C",
        (KeyCode::ArrowLeft, _) => b"\x1b[D",
        (KeyCode::Home, _) => b"\x1b[1~",
        (KeyCode::Insert, _) => b"\x1b[2~",
        (KeyCode::End, _) => b"\x1b[4~",
        (KeyCode::PageUp, _) => b"\x1b[5~",
        (KeyCode::PageDown, _) => b"\x1b[6~",
        (KeyCode::F1, _) => b"\x1b[[A",
        (KeyCode::F2, _) => b"\x1b[[B",
        (KeyCode::F3, _) => b"\x1b[[C",
        (KeyCode::F4, _) => b"\x1b[[D",
        (KeyCode::F5, _) => b"\x1b[[E",
        (KeyCode::F6, _) => b"\x1b[17~",
        (KeyCode::F7, _) => b"\x1b[18~",
        (KeyCode::F8, _) => b"\x1b[19~",
        (KeyCode::F9, _) => b"\x1b[20~",
        (KeyCode::F10, _) => b"\x1b[21~",
        (KeyCode::F11, _) => b"\x1b[23~",
        (KeyCode::F12, _) => b"\x1b[24~",
        (_, DecodedKey::RawKey(_)) => b"",
        (_, DecodedKey::Unicode(c)) => {
            // pc-keyboard makes ctrl+letter a control byte already; the
            // other ctrl combinations Linux's keymap has are done here.
            let c = match c {
                '@' | '2' | ' ' if ctrl => '\0',
                '[' | '\\' | ']' | '^' | '_' if ctrl => char::from(c as u8 & 0x1f),
                '6' if ctrl => '\x1e',
                '-' if ctrl => '\x1f',
                '?' | '/' if ctrl => '\x7f',
                c => c,
            };
            let mut utf8 = [0u8; 4];
            put(c.encode_utf8(&mut utf8).as_bytes());
            return n;
        }
    };
    put(seq);
    n
}
