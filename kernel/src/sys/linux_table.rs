//! The Linux x86-64 system-call dispatch, generated from the rows of
//! `mello_abi::linux_syscalls!` exactly as `table.rs` is from the native
//! rows: one `match` on the number calling `linux::<handler>`. A row whose
//! handler does not exist fails to compile; two rows with one number fail
//! the ABI crate's duplicate check.

use super::{linux, Args};
use crate::error::SysResult;

macro_rules! dispatch_match {
    ($($num:literal => $name:ident, $handler:ident, $argc:literal;)*) => {
        /// Run Linux call `number`; `None` if MelloOS does not implement it.
        #[inline(always)]
        pub fn linux(number: usize, args: &Args) -> Option<SysResult> {
            match number {
                $($num => Some(linux::$handler(args)),)*
                _ => None,
            }
        }
    };
}

mello_abi::linux_syscalls!(dispatch_match);
