//! What an in-kernel test is, for the framework's own self-tests (e.g.
//! `mm::selftest`) and the service-level suite in `ktest` alike: a named
//! function returning `Err(message)` on failure, and `kassert!` to fail
//! one with the file and line. The runner is `ktest`; this module only
//! holds the shared vocabulary, so framework tests need not import the
//! services layer.

use alloc::string::String;

/// A test: name and body.
pub type Test = (&'static str, fn() -> Result<(), String>);

/// Fail a test with a formatted message unless `cond` holds.
#[macro_export]
macro_rules! kassert {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(alloc::format!("{} ({}:{})", alloc::format!($($msg)*), file!(), line!()));
        }
    };
}
