//! The panic handler: print the message to fd 2 and exit with status 101
//! (as a Rust program on a hosted OS would). `panic = "abort"`: no
//! unwinding.

use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    let pid = crate::sys::getpid().unwrap_or(0);
    match info.location() {
        Some(loc) => crate::eprintln!("[mello] pid {} panicked at {}:{}: {}", pid, loc.file(), loc.line(), info.message()),
        None => crate::eprintln!("[mello] pid {} panicked: {}", pid, info.message()),
    }
    crate::sys::exit(101)
}
