//! System calls (placeholder).
use crate::arch::trap::TrapFrame;
pub fn dispatch(frame: &mut TrapFrame) { frame.rax = mello_abi::Errno::ENOSYS.as_ret() as u64; }
