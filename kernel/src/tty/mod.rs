//! Terminals: the system console and the hook through which they raise
//! signals.
//!
//! [`init`] creates the console terminal ([`console`]): its output is the
//! kernel console (COM1 and the framebuffer, as user fds 1/2 are today;
//! the line discipline already did `\n` -> `\r\n`, so it uses the
//! verbatim `serial::write_tty`), and it is registered as the input sink
//! of both input drivers, COM1 (`serial`) and the PS/2 keyboard
//! (`arch::ps2`): one console, typed on from either.
//!
//! Device files: `/dev/console` (5:1), `/dev/tty` (5:0, until controlling
//! terminals exist), `/dev/ttyS0` (4:64) and `/dev/tty1` (4:1) all map to
//! this terminal. A character device for them only forwards: `read` and
//! `write` to [`Terminal::read`]/[`Terminal::write`] (kernel buffers,
//! `nonblocking` from `O_NONBLOCK`; they may block, so no device lock may
//! be held around them), `poll` to [`Terminal::readable`]/
//! [`Terminal::writable`], the pollee to [`Terminal::pollee`], and `ioctl`
//! to [`ioctl::ioctl`], which copies termios and window sizes through
//! `mm::uaccess`.
//!
//! Signals: the ldisc's `SIGINT`/`SIGQUIT`/`SIGTSTP` go to the function
//! registered with [`set_signal_hook`], called with the terminal and the
//! signal after the terminal's lock is released, in the context the input
//! arrived in (usually an interrupt handler: the hook may only take
//! IRQ-safe locks, or must defer the work). The process layer (foreground
//! process groups) will register it; until then a signal is only logged
//! (at debug level: `--cfg verbose`), not delivered to anyone.
//!
//! Locking: `SIGNAL_HOOK` (level `Device`) is held only to copy the hook out.

#![forbid(unsafe_code)]

mod device;
pub mod ioctl;
pub mod terminal;

use crate::sync::{IrqSpinLock, LockLevel};
pub use ldisc::Signal;
pub use terminal::Terminal;

/// What the process layer does with a signal a terminal raised.
pub type SignalHook = fn(&Terminal, Signal);

static CONSOLE: spin::Once<Terminal> = spin::Once::new();
static SIGNAL_HOOK: IrqSpinLock<Option<SignalHook>> = IrqSpinLock::new(LockLevel::Device, "tty signal hook", None);

/// Create the console terminal and make it the sink of COM1 and keyboard
/// input. Call before the drivers' input is enabled.
pub fn init() {
    let console = CONSOLE.call_once(|| {
        let t = Terminal::new("console", crate::serial::write_tty);
        // The settings Linux's serial console has (`stty -a` shows them).
        t.set_termios(mello_abi::termios::SERIAL_CONSOLE_TERMIOS, false);
        t
    });
    device::register_console(console);
    crate::serial::set_input_sink(console_input);
    crate::arch::ps2::set_input_sink(console_input);
    crate::klog!("TTY", "console terminal ready (input: COM1, PS/2 keyboard; output: serial and screen)");
}

/// The system console's terminal (`/dev/console`, `/dev/ttyS0`, `/dev/tty1`).
/// Panics before [`init`].
pub fn console() -> &'static Terminal {
    CONSOLE.get().expect("tty::init not called")
}

/// The input drivers' sink: everything typed goes to the console.
fn console_input(bytes: &[u8]) {
    if let Some(t) = CONSOLE.get() {
        t.receive(bytes);
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
