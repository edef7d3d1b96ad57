//! User-pointer validation: `write` and `ipc_send` with buffers the kernel
//! must refuse. The contract (the README ABI): a null, kernel, non-canonical,
//! unmapped, partly unmapped, wrapping or over-long buffer gives `-EFAULT`,
//! never a kernel fault and never a leak of kernel memory.
//!
//! On `len > WRITE_MAX`: `WRITE_MAX` bounds a single write (writes are
//! atomic: a mapped buffer longer than that is `EINVAL`, nothing written),
//! but the pointer contract comes first: a range that is not valid user
//! memory at all (null, kernel, non-canonical, wrapping) is `EFAULT` even
//! when it is also too long. Only for the buffer that is valid at its start
//! but runs far past the mapped image (1 TiB) is either error accepted,
//! since both checks apply.

use crate::harness::{expect_err, expect_err_in, port, raw_send, raw_write, Checks, TestResult, KERNEL_ADDR, NON_CANONICAL, UNMAPPED};
use alloc::format;
use alloc::vec;
use mello::limits::WRITE_MAX;
use mello::raw::Entry;
use mello::Errno;

unsafe extern "C" {
    /// End of the program image (page aligned), from `mello.ld`.
    static __mello_image_end: u8;
}

/// The end of our image: the next page is not mapped.
fn image_end() -> usize {
    &raw const __mello_image_end as usize
}

static VALID: [u8; 16] = *b"0123456789abcdef";

/// Every bad buffer, through both entries.
pub fn write_bad_pointers() -> TestResult {
    let valid = VALID.as_ptr() as usize;
    let cases: [(&str, usize, usize); 9] = [
        ("null", 0, 16),
        ("kernel address", KERNEL_ADDR, 16),
        ("non-canonical address", NON_CANONICAL, 16),
        ("unmapped user address", UNMAPPED, 16),
        ("unmapped page after the image", image_end() + 0x1000, 16),
        ("buffer running off the image", image_end() - 8, 16),
        ("range crossing the top of user space", NON_CANONICAL - 8, 16),
        ("wrapping range (0x7FFF_FFFF_F000, usize::MAX/2)", 0x7FFF_FFFF_F000, usize::MAX / 2),
        ("range wrapping past 2^64", usize::MAX - 7, 16),
    ];
    let mut checks = Checks::default();
    for entry in Entry::ALL {
        for (name, ptr, len) in cases {
            let what = format!("{}: write({}, {:#x}, {:#x})", entry.name(), name, ptr, len);
            checks.add(expect_err(&what, raw_write(entry, 1, ptr, len), Errno::EFAULT));
        }
        let what = format!("{}: write(valid buffer, len 1 TiB)", entry.name());
        checks.add(expect_err_in(&what, raw_write(entry, 1, valid, 1 << 40), &[Errno::EFAULT, Errno::EINVAL]));
    }
    // A fully mapped buffer one byte over the limit: EINVAL, nothing written.
    let big = vec![b'#'; WRITE_MAX + 1];
    let what = format!("write(mapped buffer of WRITE_MAX + 1 = {} bytes)", WRITE_MAX + 1);
    checks.add(expect_err(&what, raw_write(Entry::Syscall, 1, big.as_ptr() as usize, big.len()), Errno::EINVAL));
    // Still alive and writing: a valid write works after all that.
    let msg = b"\n[UTEST]   bad writes done\n";
    let n = raw_write(Entry::Syscall, 1, msg.as_ptr() as usize, msg.len());
    checks.add(if n == msg.len() as isize { Ok(()) } else { Err(format!("a valid write after the bad ones returned {}", n)) });
    checks.finish()
}

/// `ipc_send` validates its buffer the same way.
pub fn ipc_bad_pointers() -> TestResult {
    let mut checks = Checks::default();
    for (name, ptr) in [("null", 0), ("kernel address", KERNEL_ADDR), ("non-canonical", NON_CANONICAL), ("unmapped", UNMAPPED)] {
        checks.add(expect_err(&format!("ipc_send({})", name), raw_send(port::FAULT, ptr, 16), Errno::EFAULT));
    }
    checks.finish()
}
