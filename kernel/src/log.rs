//! Logging macros with the spec's subsystem tags.
//!
//! `serial_println!` prints a raw line; the tagged macros (`mm_info!`,
//! `sched_log!`, ...) prefix the subsystem tag the spec's boot log uses, so
//! tools can grep for `[MM]`, `[SCHED]`, `[SMP]` and so on. Tagged lines go
//! through the kernel log (`kmsg`: a ring buffer with levels; `ktrace!` is
//! debug level). `*_log!` variants are verbose and compiled in only with
//! the `verbose` cfg.

#[macro_export]
macro_rules! serial_print {
    ($($arg:tt)*) => { $crate::serial::write_fmt(format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! serial_println {
    () => { $crate::serial_print!("\n") };
    ($($arg:tt)*) => { $crate::serial::write_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `klog!("TAG", "fmt", args)` logs `[TAG] message` at INFO: into the
/// kernel log ring, and to the console (`kmsg`).
#[macro_export]
macro_rules! klog {
    ($tag:literal, $($arg:tt)*) => {
        $crate::kmsg::log($crate::kmsg::level::INFO, format_args!("[{}] {}", $tag, format_args!($($arg)*)))
    };
}

/// Like `klog!` at DEBUG: scheduler and IPI tracing, and the Linux
/// personality's notes on calls it lacks. Always in the ring (`dmesg`); on
/// the console only during boot or with `loglevel=8` (see `kmsg`).
#[macro_export]
macro_rules! ktrace {
    ($tag:literal, $($arg:tt)*) => {
        $crate::kmsg::log($crate::kmsg::level::DEBUG, format_args!("[{}] {}", $tag, format_args!($($arg)*)))
    };
}

/// Verbose logging that costs nothing unless built with `--cfg verbose`.
#[macro_export]
macro_rules! kdebug {
    ($tag:literal, $($arg:tt)*) => {
        if cfg!(verbose) { $crate::klog!($tag, $($arg)*) }
    };
}

#[macro_export]
macro_rules! mm_info { ($($arg:tt)*) => { $crate::klog!("MM", $($arg)*) }; }
#[macro_export]
macro_rules! mm_log { ($($arg:tt)*) => { $crate::kdebug!("MM", $($arg)*) }; }
#[macro_export]
macro_rules! sched_info { ($($arg:tt)*) => { $crate::klog!("SCHED", $($arg)*) }; }
#[macro_export]
macro_rules! sched_log { ($($arg:tt)*) => { $crate::kdebug!("SCHED", $($arg)*) }; }
