//! Terminals: the three the machine has, which device feeds which, and
//! the hook through which they raise signals.
//!
//! * `ttyS0` (4:64): COM1. Input from its receive interrupt, output to the
//!   serial line only (`serial::write_serial_tty`); Linux's serial-console
//!   termios, window size 0x0 (as Linux's 8250 driver).
//! * `tty1` (4:1): the framebuffer console. Input from the PS/2 keyboard,
//!   output to the screen only (`console::mirror_bytes`); Linux's
//!   `tty_std_termios`, window size the text grid's rows and columns.
//! * `/dev/console` (5:1): the terminal `console=` names, as on Linux
//!   (`console=ttyS0[,opts]` -> ttyS0, `console=tty1` or `tty0` -> tty1; the
//!   last `console=` wins): the very same terminal object, so one line
//!   discipline, termios and foreground group whichever name is opened.
//!   Without `console=` it is DESIGN.md's console: a terminal of its own,
//!   `console`, typed on from both COM1 and the keyboard and writing to
//!   both the serial line and the screen (as fds 0-2 of init always did).
//!   In that mode COM1 and the keyboard feed `console`, so `ttyS0` and
//!   `tty1` get no input (their output, termios and window size are still
//!   their own): every input device feeds exactly one terminal.
//! * `/dev/tty` (5:0): the calling process's controlling terminal (the one
//!   whose session is the caller's); without one, `/dev/console`'s.
//!
//! Each device number is a [`device`] forwarding to its terminal. Each
//! terminal has its own line discipline, termios, window size, session
//! and foreground group (`Terminal`).
//!
//! Signals: the ldisc's `SIGINT`/`SIGQUIT`/`SIGTSTP` go to the function
//! registered with [`set_signal_hook`], called with the terminal and the
//! signal after the terminal's lock is released, in the context the input
//! arrived in (usually an interrupt handler: the hook may only take
//! IRQ-safe locks, or must defer the work). The process layer
//! (`user::jobctl`) registers it; before that a signal is only logged (at
//! debug level: `--cfg verbose`).
//!
//! Locking: `SIGNAL_HOOK` (level `Device`) is held only to copy the hook
//! out; the terminals are created once (`spin::Once`) and then only
//! shared.

#![forbid(unsafe_code)]

mod device;
pub mod ioctl;
pub mod terminal;

use crate::sync::{IrqSpinLock, LockLevel};
pub use ldisc::Signal;
pub use terminal::Terminal;

/// What the process layer does with a signal a terminal raised.
pub type SignalHook = fn(&Terminal, Signal);

/// Which terminal `/dev/console` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleOn {
    /// No `console=`: the `console` terminal, on COM1 and the screen.
    Both,
    /// `console=ttyS0`.
    Serial,
    /// `console=tty1` (or `tty0`, the foreground virtual terminal).
    Screen,
}

impl ConsoleOn {
    /// The terminal a `console=` value names (`None`: not one we have).
    pub fn from_option(value: Option<&str>) -> Option<ConsoleOn> {
        let Some(v) = value else { return Some(ConsoleOn::Both) };
        match v.split(',').next().unwrap_or("") {
            "ttyS0" => Some(ConsoleOn::Serial),
            "tty0" | "tty1" => Some(ConsoleOn::Screen),
            _ => None,
        }
    }
}

struct Terminals {
    on: ConsoleOn,
    serial: Terminal,
    screen: Terminal,
    /// Only in `ConsoleOn::Both`.
    both: Option<Terminal>,
}

static TERMINALS: spin::Once<Terminals> = spin::Once::new();
static SIGNAL_HOOK: IrqSpinLock<Option<SignalHook>> = IrqSpinLock::new(LockLevel::Device, "tty signal hook", None);

/// Create the terminals, make `/dev/console` the one `console` (the
/// command line's `console=` value) names, and register the input sinks
/// of COM1 and the keyboard. Call before the drivers' input is enabled.
pub fn init(console: Option<&str>) {
    let on = ConsoleOn::from_option(console).unwrap_or_else(|| {
        crate::klog!("TTY", "console={}: no such terminal (ttyS0, tty0, tty1); using the default", console.unwrap_or(""));
        ConsoleOn::Both
    });
    let ts = TERMINALS.call_once(|| {
        let serial = Terminal::new("ttyS0", crate::serial::write_serial_tty);
        // The settings Linux's serial console has (`stty -a` shows them).
        serial.set_termios(mello_abi::termios::SERIAL_CONSOLE_TERMIOS, false);
        let screen = Terminal::new("tty1", crate::console::mirror_bytes);
        if let Some((rows, cols)) = crate::console::text_size() {
            let ws = ldisc::WinSize { ws_row: clamp16(rows), ws_col: clamp16(cols), ws_xpixel: 0, ws_ypixel: 0 };
            screen.set_winsize(ws);
        }
        let both = (on == ConsoleOn::Both).then(|| {
            let t = Terminal::new("console", crate::serial::write_tty);
            t.set_termios(mello_abi::termios::SERIAL_CONSOLE_TERMIOS, false);
            t
        });
        Terminals { on, serial, screen, both }
    });
    device::register_all(console_terminal(ts), &ts.serial, &ts.screen);
    crate::serial::set_input_sink(serial_input);
    crate::arch::ps2::set_input_sink(keyboard_input);
    match ts.on {
        ConsoleOn::Both => crate::klog!("TTY", "console terminal ready (input: COM1, PS/2 keyboard; output: serial and screen)"),
        ConsoleOn::Serial => crate::klog!("TTY", "console is ttyS0 (COM1); tty1 is the screen and keyboard"),
        ConsoleOn::Screen => crate::klog!("TTY", "console is tty1 (screen and keyboard); ttyS0 is COM1"),
    }
}

fn clamp16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn terminals() -> &'static Terminals {
    TERMINALS.get().expect("tty::init not called")
}

fn console_terminal(ts: &'static Terminals) -> &'static Terminal {
    match (ts.on, &ts.both) {
        (ConsoleOn::Serial, _) => &ts.serial,
        (ConsoleOn::Screen, _) => &ts.screen,
        (ConsoleOn::Both, Some(t)) => t,
        (ConsoleOn::Both, None) => &ts.serial, // not reached: made with the mode
    }
}

/// `/dev/console`'s terminal. Panics before [`init`].
pub fn console() -> &'static Terminal {
    console_terminal(terminals())
}

/// The caller's controlling terminal (`/dev/tty`): the terminal whose
/// session is the calling process's, if it holds one; else the console's.
pub fn controlling() -> &'static Terminal {
    let ts = terminals();
    let me = crate::user::current_process();
    let sid = me.filter(|p| p.ctty.load(core::sync::atomic::Ordering::Relaxed)).map(|p| p.sid()).unwrap_or(0);
    let held = |t: &Terminal| sid != 0 && t.session.load(core::sync::atomic::Ordering::Relaxed) == sid;
    [Some(&ts.serial), Some(&ts.screen), ts.both.as_ref()].into_iter().flatten().find(|t| held(t)).unwrap_or_else(|| console_terminal(ts))
}

/// COM1's input (interrupt context): to `/dev/console`'s own terminal in
/// the default mode, else to ttyS0.
fn serial_input(bytes: &[u8]) {
    if let Some(ts) = TERMINALS.get() {
        ts.both.as_ref().unwrap_or(&ts.serial).receive(bytes);
    }
}

/// The keyboard's input (interrupt context): as [`serial_input`], for tty1.
fn keyboard_input(bytes: &[u8]) {
    if let Some(ts) = TERMINALS.get() {
        ts.both.as_ref().unwrap_or(&ts.screen).receive(bytes);
    }
}

/// Register the process layer's signal delivery (replacing any earlier
/// hook); returns the previous one.
pub fn set_signal_hook(hook: Option<SignalHook>) -> Option<SignalHook> {
    core::mem::replace(&mut *SIGNAL_HOOK.lock(), hook)
}

/// Linux's name of a terminal signal.
pub fn signal_name(sig: Signal) -> &'static str {
    match sig {
        Signal::Int => "SIGINT",
        Signal::Quit => "SIGQUIT",
        Signal::Tstp => "SIGTSTP",
    }
}

/// Hand `sig` from terminal `t` to the hook (the terminal's lock is free).
fn deliver_signal(t: &Terminal, sig: Signal) {
    let hook = *SIGNAL_HOOK.lock();
    match hook {
        Some(hook) => hook(t, sig),
        None => crate::kdebug!("TTY", "{}: {} ({}) raised; no process layer to deliver it yet", t.name(), signal_name(sig), sig.number()),
    }
}
