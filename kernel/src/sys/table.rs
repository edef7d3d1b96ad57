//! The native system-call dispatch, generated from the ABI's one table.
//!
//! `mello_abi::native_syscalls!` lists every call as a row `number =>
//! CONSTANT, handler, argument count;`. The macro below turns those rows
//! into one `match` on the number, calling `handlers::<handler>`: a row
//! whose handler does not exist fails to compile, two rows with one number
//! fail the ABI crate's duplicate check, and no order can be wrong because
//! nothing is positional. The compiler makes a jump table of the dense
//! numbers.
//!
//! A second personality gets its own rows and its own `match`, generated
//! the same way.

use super::{handlers, Args};
use crate::error::SysResult;

macro_rules! dispatch_match {
    ($($num:literal => $name:ident, $handler:ident, $argc:literal;)*) => {
        /// Run native call `number`; `None` if no row has that number.
        #[inline(always)]
        pub fn native(number: usize, args: &Args) -> Option<SysResult> {
            match number {
                $($num => Some(handlers::$handler(args)),)*
                _ => None,
            }
        }
    };
}

mello_abi::native_syscalls!(dispatch_match);
