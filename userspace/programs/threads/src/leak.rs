//! No leak in a thread's life: after 1,000 spawn/join cycles the kernel's
//! resource counters (`mello::metrics`: free frames with kernel page
//! tables, free kernel heap, live kernel stacks, processes, open files)
//! are back at their baseline.
//!
//! The cycles run in a child process, and the counters are compared
//! before the fork and after its reaping: the free frames include user
//! memory, and the child's (its heap pages, its thread stacks, its page
//! tables) all go back at its exit, so only a kernel leak can show, not
//! a page the test touches for the first time. The baseline comes after
//! a warm-up of the same cycles (and of `WIDE` threads at once, on small
//! stacks: the heap is 256 KiB), so caches and high-water marks the first
//! threads grow (kernel-stack slots, the futex list's capacity, the tid
//! table) are already grown; a stack can be freed a moment after its
//! task's last switch, so the check polls for a while before it calls a
//! difference a leak.

use crate::{ensure, TestResult};
use alloc::format;
use alloc::vec::Vec;
use mello::{metrics, thread};

const NAMES: [&str; 6] = ["free_frames", "kernel_tables", "heap_free", "kstacks", "processes", "open_files"];
const CYCLES: usize = 1000;
const WIDE: usize = 16;

fn cycle(i: usize) -> Result<(), alloc::string::String> {
    let h = thread::spawn(move || i * 3).map_err(|e| format!("spawn {}: {:?}", i, e))?;
    let got = h.join().map_err(|_| format!("thread {} did not return", i))?;
    ensure!(got == i * 3, "thread {} returned {}", i, got);
    Ok(())
}

fn warm_up() -> TestResult {
    for i in 0..50 {
        cycle(i)?;
    }
    let wide: Result<Vec<_>, _> = (0..WIDE).map(|i| thread::Builder::new().stack_size(4096).spawn(move || i)).collect();
    for h in wide.map_err(|e| format!("wide spawn: {:?}", e))? {
        let _ = h.join();
    }
    Ok(())
}

/// Whether `after` gives back everything `base` had (free frames and
/// tables count together: a frame that became a kernel table is not lost;
/// more free than before is fine).
fn leaks(base: &[i64; 6], after: &[i64; 6]) -> usize {
    let frames = (after[0] + after[1] < base[0] + base[1]) as usize;
    let heap = (after[2] < base[2]) as usize;
    frames + heap + (3..6).filter(|&i| after[i] > base[i]).count()
}

pub fn spawn_join_cycles() -> TestResult {
    warm_up()?;
    let base = metrics::stable(&NAMES, 2).ok_or("no res.* counters in /proc/mellos/metrics")?;
    let child = mello::process::spawn(|| {
        let t0 = mello::cpu::rdtsc();
        for i in 0..CYCLES {
            if let Err(why) = cycle(i) {
                mello::println!("[THREADS] leak: cycle {}: {}", i, why);
                return 1;
            }
        }
        let each = (mello::cpu::rdtsc() - t0) / CYCLES as u64;
        mello::println!("[THREADS] {} spawn/join cycles, {} TSC cycles each", CYCLES, each);
        0
    })
    .map_err(|e| format!("fork: {:?}", e))?;
    let status = mello::process::wait_for(child).map_err(|e| format!("wait: {:?}", e))?;
    ensure!(status == 0, "the cycling child exited with {}", status);
    let after = metrics::settle(&NAMES, &base, 100).ok_or("metrics unreadable")?;
    for (i, name) in NAMES.iter().enumerate() {
        mello::println!("[THREADS] leak check: {} {} -> {}", name, base[i], after[i]);
    }
    let n = leaks(&base, &after);
    ensure!(n == 0, "{} counter(s) not back at the baseline after {} cycles", n, CYCLES);
    Ok(())
}
