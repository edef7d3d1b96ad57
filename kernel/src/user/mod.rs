//! User mode (placeholder).
pub fn current_pid() -> Option<usize> { None }
pub fn exit_current(_status: i32) -> ! { panic!("no processes yet") }
pub fn handle_user_fault(_addr: u64, _err: u64) -> bool { false }
