//! The thread calls' argument checks, through raw system calls: every bad
//! pointer is `EFAULT`, a misaligned stack or word `EINVAL`, an unknown
//! futex operation `ENOSYS`; and a futex wait's outcomes (`EAGAIN` when
//! the word differs, `ETIMEDOUT` after its timeout, 0 when woken); and
//! the `tls` argument (the new thread's FS base).

use crate::{ensure, TestResult};
use alloc::format;
use alloc::string::String;
use core::sync::atomic::{AtomicU32, Ordering};
use mello::abi::{futex, nr};
use mello::limits::{USER_END, USER_START};
use mello::thread::{self, Futex};
use mello::Errno::{self, *};

/// The kernel image: mapped, never for user mode.
const KERNEL: usize = 0xFFFF_FFFF_8000_0000;
/// Below every program image: in user space, never mapped.
const UNMAPPED: usize = USER_START;

fn call(number: usize, args: [usize; 6]) -> Result<usize, Errno> {
    // SAFETY: every call here fails its checks before the kernel does
    // anything (no thread starts), or only reads a word of ours.
    Errno::from_ret(unsafe { mello::raw::syscall6(number, args) })
}

fn expect(what: &str, got: Result<usize, Errno>, want: Errno) -> Result<(), String> {
    ensure!(got == Err(want), "{}: {:?}, expected {:?}", what, got, want);
    Ok(())
}

/// A thread entry that is never run (every spawn below fails first).
extern "C" fn never(_: usize) -> ! {
    mello::thread::exit(99)
}

pub fn errors() -> TestResult {
    let word = AtomicU32::new(5);
    let w = word.as_ptr() as usize;
    let stack = thread::Stack::new(4096).map_err(|e| format!("stack: {:?}", e))?;
    let (entry, top) = (never as extern "C" fn(usize) -> ! as usize, stack.top());
    let spawn = |e: usize, sp: usize, tid: usize, tls: usize| call(nr::THREAD_SPAWN, [e, sp, 0, tid, tls, 0]);
    expect("spawn at a kernel entry", spawn(KERNEL, top, 0, 0), EFAULT)?;
    expect("spawn at a non-canonical entry", spawn(USER_END, top, 0, 0), EFAULT)?;
    expect("spawn at entry 0", spawn(0, top, 0, 0), EFAULT)?;
    expect("spawn with a misaligned stack", spawn(entry, top - 8, 0, 0), EINVAL)?;
    expect("spawn with an unmapped stack", spawn(entry, UNMAPPED + 4096, 0, 0), EFAULT)?;
    expect("spawn with a kernel stack", spawn(entry, KERNEL, 0, 0), EFAULT)?;
    expect("spawn with stack top 0", spawn(entry, 0, 0, 0), EFAULT)?;
    expect("spawn with a misaligned tid word", spawn(entry, top, w + 1, 0), EINVAL)?;
    expect("spawn with an unmapped tid word", spawn(entry, top, UNMAPPED, 0), EFAULT)?;
    expect("spawn with a kernel tid word", spawn(entry, top, KERNEL, 0), EFAULT)?;
    expect("spawn with a read-only tid word", spawn(entry, top, entry & !3, 0), EFAULT)?;
    expect("spawn with a kernel FS base", spawn(entry, top, 0, KERNEL), EINVAL)?;
    let fx = |addr: usize, op: usize, val: usize, t: usize| call(nr::FUTEX, [addr, op, val, t, 0, 0]);
    expect("futex wait on a kernel word", fx(KERNEL, futex::WAIT, 0, 0), EFAULT)?;
    expect("futex wait on an unmapped word", fx(UNMAPPED, futex::WAIT, 0, 0), EFAULT)?;
    expect("futex wait on a null word", fx(0, futex::WAIT, 0, 0), EFAULT)?;
    expect("futex wait on a misaligned word", fx(w + 2, futex::WAIT, 5, 0), EINVAL)?;
    expect("futex wake on a kernel word", fx(KERNEL, futex::WAKE, 1, 0), EFAULT)?;
    expect("futex unknown op", fx(w, 7, 5, 0), ENOSYS)?;
    expect("futex wait, value above u32", fx(w, futex::WAIT, 5 | 1 << 32, 0), EINVAL)?;
    expect("futex wait, word differs", fx(w, futex::WAIT, 6, 0), EAGAIN)?;
    let woke = fx(w, futex::WAKE, 10, 0);
    ensure!(woke == Ok(0), "wake with nobody waiting: {:?}", woke);
    ensure!(word.load(Ordering::Relaxed) == 5, "a failed call changed the word");
    Ok(())
}

pub fn futex_timeout() -> TestResult {
    let f = Futex::new(0);
    // 100 ms: two ticks at 20 Hz; the word never changes.
    let got = f.wait(0, Some(100_000_000));
    ensure!(got == Err(ETIMEDOUT), "timed wait: {:?}, expected ETIMEDOUT", got);
    ensure!(f.wait(1, Some(100_000_000)) == Err(EAGAIN), "timed wait on a differing word did not fail with EAGAIN");
    // A real wake: a thread waits (no timeout) until the word is 1.
    let shared = alloc::sync::Arc::new(Futex::new(0));
    let s2 = shared.clone();
    let waiter = thread::spawn(move || {
        let mut rounds = 0u32;
        while s2.load() == 0 {
            let _ = s2.wait(0, None);
            rounds += 1;
        }
        rounds
    })
    .map_err(|e| format!("spawn: {:?}", e))?;
    let _ = mello::sleep(2); // let it block
    shared.word().store(1, Ordering::Release);
    let mut woken = shared.wake(1);
    if woken == 0 {
        // It had not gone to sleep yet (it then sees 1 and returns).
        woken = shared.wake(1);
    }
    let rounds = waiter.join().map_err(|_| String::from("the waiter did not return"))?;
    ensure!(rounds <= 2, "the waiter went round {} times", rounds);
    mello::println!("[THREADS] futex: timed wait ETIMEDOUT, wake woke {} waiter(s)", woken);
    Ok(())
}

/// A thread control block: the x86-64 TLS convention's self-pointer first.
#[repr(C, align(16))]
struct Tcb {
    self_ptr: usize,
    value: usize,
}

/// What a `read_fs` thread saw through its FS base.
#[derive(Default)]
struct Probe {
    self_ptr: core::sync::atomic::AtomicUsize,
    value: core::sync::atomic::AtomicUsize,
}

/// Reads `fs:[0]` and `fs:[8]` into the `Probe` at `arg`, then ends.
extern "C" fn read_fs(arg: usize) -> ! {
    let (a, b): (usize, usize);
    // SAFETY: the spawner set this thread's FS base to a live `Tcb`, whose
    // two words these are.
    unsafe { core::arch::asm!("mov {0}, fs:[0]", "mov {1}, fs:[8]", out(reg) a, out(reg) b, options(nostack, readonly)) };
    // SAFETY: `arg` is a `Probe` the spawner keeps until this thread ended.
    let probe = unsafe { &*(arg as *const Probe) };
    probe.self_ptr.store(a, Ordering::Relaxed);
    probe.value.store(b, Ordering::Release);
    thread::exit(0)
}

/// `thread_spawn`'s `tls`: each thread's FS base is its own block.
pub fn tls_fs_base() -> TestResult {
    let mut tcbs = [111, 222].map(|value| alloc::boxed::Box::new(Tcb { self_ptr: 0, value }));
    let probes = [Probe::default(), Probe::default()];
    let words = [Futex::new(u32::MAX), Futex::new(u32::MAX)];
    let mut stacks = alloc::vec::Vec::new();
    for i in 0..2 {
        tcbs[i].self_ptr = &*tcbs[i] as *const Tcb as usize;
        let stack = thread::Stack::new(4096).map_err(|e| format!("stack: {:?}", e))?;
        let args = [read_fs as extern "C" fn(usize) -> ! as usize, stack.top(), &probes[i] as *const Probe as usize,
            words[i].word().as_ptr() as usize, tcbs[i].self_ptr, 0];
        // SAFETY: `read_fs` only reads its Tcb and writes its Probe; the
        // stack, Tcb, Probe and tid word outlive the thread (waited for below).
        let tid = Errno::from_ret(unsafe { mello::raw::syscall6(nr::THREAD_SPAWN, args) });
        ensure!(tid.is_ok(), "spawn {}: {:?}", i, tid);
        stacks.push(stack);
    }
    for w in &words {
        // The kernel zeroes the tid word when the thread has ended.
        let mut seen = w.load();
        while seen != 0 {
            let _ = w.wait(seen, None);
            seen = w.load();
        }
    }
    for i in 0..2 {
        let (a, b) = (probes[i].self_ptr.load(Ordering::Relaxed), probes[i].value.load(Ordering::Acquire));
        ensure!(a == tcbs[i].self_ptr && b == tcbs[i].value, "thread {} read fs:[0]={:#x} fs:[8]={}, expected {:#x} {}",
            i, a, b, tcbs[i].self_ptr, tcbs[i].value);
    }
    drop(stacks);
    mello::println!("[THREADS] tls: two threads, each FS base its own block (values 111, 222)");
    Ok(())
}
