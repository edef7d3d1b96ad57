//! Screen console (placeholder).
pub fn mirror(_args: core::fmt::Arguments) {}
pub fn mirror_bytes(_b: &[u8]) {}
