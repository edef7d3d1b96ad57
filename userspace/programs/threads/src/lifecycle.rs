//! How threads and their process end:
//! * `thread_exit`: a thread that calls `thread::exit` ends there (nothing
//!   after the call runs) and its join says `Exited`; the process goes on;
//! * `last_thread`: a child process whose first thread calls
//!   `thread::exit(42)` lives on in its other thread (which writes to a
//!   pipe afterwards) and ends when that one does, with status 42;
//! * `fault_kills`: in a child process of four threads (one waiting on a
//!   futex forever, one spinning in user mode, the first joining the
//!   waiter), a fault in the fourth kills them all: status 139 (SIGSEGV).

use crate::{ensure, TestResult};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, Ordering};
use mello::signal::{killed_status, SIGSEGV};
use mello::thread::{self, Exited, Futex};
use mello::{fs, process};

pub fn thread_exit() -> TestResult {
    let after = Arc::new(AtomicBool::new(false));
    let a2 = after.clone();
    let h = thread::spawn(move || {
        if core::hint::black_box(true) {
            thread::exit(7);
        }
        a2.store(true, Ordering::SeqCst);
        1
    })
    .map_err(|e| format!("spawn: {:?}", e))?;
    let got = h.join();
    ensure!(got == Err(Exited), "join of an exited thread: {:?}", got);
    ensure!(!after.load(Ordering::SeqCst), "code after thread::exit ran");
    Ok(())
}

pub fn last_thread() -> TestResult {
    let (r, w) = fs::pipe(0).map_err(|e| format!("pipe: {:?}", e))?;
    let pid = process::spawn(move || {
        let _ = fs::close(r);
        let h = thread::spawn(move || {
            // Long enough for the first thread to be gone.
            let _ = mello::sleep(4);
            let _ = mello::write(w, b"L");
            0
        });
        if h.is_err() {
            return 3;
        }
        core::mem::forget(h); // the first thread never joins it
        thread::exit(42)
    })
    .map_err(|e| format!("fork: {:?}", e))?;
    let _ = fs::close(w);
    let mut buf = [0u8; 4];
    let n = fs::read(r, &mut buf);
    let _ = fs::close(r);
    let status = process::wait_for(pid).map_err(|e| format!("wait: {:?}", e))?;
    ensure!(n == Ok(1) && buf[0] == b'L', "the second thread's write: {:?} {:?}", n, &buf[..1]);
    ensure!(status == 42, "status {}, expected the first thread's 42", status);
    Ok(())
}

pub fn fault_kills() -> TestResult {
    let pid = process::spawn(|| {
        let never = Arc::new(Futex::new(0));
        let n2 = never.clone();
        let waiter = thread::spawn(move || while n2.wait(0, None).is_ok() || n2.load() == 0 {});
        let spinner = thread::spawn(|| loop {
            core::hint::spin_loop();
        });
        let faulter = thread::spawn(|| {
            let _ = mello::sleep(3);
            // SAFETY: none: this write to address 0 faults on purpose.
            unsafe { core::ptr::write_volatile(core::ptr::null_mut::<u32>(), 1) };
        });
        let (Ok(waiter), Ok(_s), Ok(_f)) = (waiter, spinner, faulter) else {
            mello::exit(3) // not a return: dropping a handle joins it
        };
        let _ = waiter.join(); // forever, unless the group dies
        4
    })
    .map_err(|e| format!("fork: {:?}", e))?;
    let status = process::wait_for(pid).map_err(|e| format!("wait: {:?}", e))?;
    ensure!(status == killed_status(SIGSEGV), "status {}, expected {} (SIGSEGV)", status, killed_status(SIGSEGV));
    Ok::<(), String>(())
}
