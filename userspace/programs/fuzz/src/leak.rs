//! The leak oracle: the kernel's resource counters (`res.*` lines of
//! `/proc/mellos/metrics`, read through `mello::metrics`: free frames,
//! free heap bytes, live kernel stacks, open file descriptions,
//! processes) read before the run and after
//! every worker has exited, and the state the fuzzing may leave behind in
//! the kernel on purpose (queued IPC messages, files under `/tmp/fuzzW`)
//! removed first.
//!
//! Counts can lag an exit by a moment (a stack is freed after its task's
//! last switch): [`settle`] polls until they match or a deadline passes.

use alloc::vec::Vec;
use mello::abi::fs::O_RDONLY;

/// The counters, in the order of [`NAMES_RES`].
pub type Counters = [i64; N];
const N: usize = 8;
pub const NAMES_RES: [&str; N] =
    ["free_frames", "kernel_tables", "heap_free", "large_frames", "kstacks", "open_files", "processes", "inodes"];

/// The counters (None if procfs does not have them) once two readings a
/// few ticks apart agree (what exiting processes free trickles in for a
/// moment).
pub fn stable() -> Option<Counters> {
    mello::metrics::stable(&NAMES_RES, 5)
}

/// Poll the counters until they equal `base` or about `ticks` ticks
/// passed; the last reading.
pub fn settle(base: &Counters, ticks: usize) -> Option<Counters> {
    mello::metrics::settle(&NAMES_RES, base, ticks)
}

/// Raise the kernel's high-water marks before the baseline, so that the
/// run cannot grow them and look like a leak: every port's queue filled
/// once (its capacity stays), and as many processes alive at once as the
/// table allows (kernel-stack slots and their page tables, run queues),
/// each waiting on a futex (the futex list's capacity: at most one waiter
/// per process, since the workers have no threads).
pub fn prime() {
    let mut buf = [0u8; 16];
    for port in 0..mello::limits::NUM_PORTS {
        while mello::ipc_send(port, b"fill").is_ok() {}
    }
    drain_ports(0..mello::limits::NUM_PORTS);
    let mut pids = Vec::new();
    while pids.len() < mello::limits::MAX_PROCS {
        match mello::fork() {
            Ok(0) => {
                // One second, as long as a 20-tick sleep: they overlap.
                let _ = mello::thread::Futex::new(0).wait(0, Some(1_000_000_000));
                mello::exit(0);
            }
            Ok(pid) => pids.push(pid),
            Err(_) => break,
        }
    }
    for pid in pids {
        let _ = mello::process::wait_for(pid);
    }
    let _ = &mut buf;
}

/// Fault in this process's own memory (most of the heap, 40 KiB of
/// stack), so that init touching a new page during the run is not taken
/// for a kernel leak: the counters include init's frames.
pub fn prefault() {
    let mut v: Vec<u8> = Vec::new();
    if v.try_reserve_exact(mello::HEAP_SIZE * 3 / 4).is_ok() {
        v.resize(v.capacity(), 1);
    }
    drop(v);
    stack_probe();
}

#[inline(never)]
fn stack_probe() {
    let mut probe = [0u8; 40 * 1024];
    for i in (0..probe.len()).step_by(4096) {
        // SAFETY: `i` is inside the local array.
        unsafe { core::ptr::write_volatile(probe.as_mut_ptr().add(i), 1) };
    }
    core::hint::black_box(&probe);
}

/// Empty the IPC ports `ports`: queue a marker, then receive until it
/// comes back (nothing else may receive there meanwhile).
pub fn drain_ports(ports: core::ops::Range<usize>) {
    let marker = b"fuzz-drain-marker";
    let mut buf = [0u8; 4096];
    for port in ports {
        // A full queue refuses the marker: take a message and retry.
        while mello::ipc_send(port, marker) == Err(mello::Errno::EAGAIN) {
            let _ = mello::ipc_recv(port, &mut buf);
        }
        loop {
            match mello::ipc_recv(port, &mut buf) {
                Ok(n) if &buf[..n] == marker => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
}

/// Remove `/tmp/fuzzW` and everything in it (renames may have nested
/// the names anywhere), depth first, from inside: it changes into each
/// directory that cannot be removed yet and uses names relative to it, so
/// what it holds is one directory's listing, whatever the depth.
///
/// Renames of directories into each other nest them hundreds deep in a
/// long run. The walk this replaces kept the full path of every pending
/// entry, memory growing with the square of the depth (180 KiB at 150
/// levels): past the part of init's heap that [`prefault`] touched, init
/// faulted in new heap pages during the clean-up, which the leak check
/// counted as lost frames; at 200 levels the heap ran out and init panicked.
pub fn remove_tree(worker: usize) {
    let top = alloc::format!("/tmp/fuzz{worker}\0");
    let Ok(top) = core::ffi::CStr::from_bytes_with_nul(top.as_bytes()) else { return };
    if mello::fs::unlink(top).is_ok() || mello::fs::rmdir(top).is_ok() || mello::fs::chdir(top).is_err() {
        return;
    }
    let mut depth = 0usize;
    for _ in 0..1_000_000 {
        // Remove what can go here; enter the first directory that cannot
        // (not empty yet). Nothing left: back up to the parent, which
        // then removes this one.
        let mut entered = false;
        for mut name in list_dir(c".") {
            name.push(0);
            let Ok(c) = core::ffi::CStr::from_bytes_with_nul(&name) else { continue };
            if mello::fs::unlink(c).is_err() && mello::fs::rmdir(c).is_err() && mello::fs::chdir(c).is_ok() {
                entered = true;
                break;
            }
        }
        if entered {
            depth += 1;
        } else if depth == 0 || mello::fs::chdir(c"..").is_err() {
            break;
        } else {
            depth -= 1;
        }
    }
    let _ = mello::fs::chdir(c"/");
    let _ = mello::fs::rmdir(top);
}

/// The names in directory `path` (not `.` and `..`); empty if it is not
/// a directory that can be opened.
fn list_dir(path: &core::ffi::CStr) -> Vec<Vec<u8>> {
    let mut children = Vec::new();
    let Ok(fd) = mello::fs::open(path, O_RDONLY | mello::abi::fs::O_DIRECTORY | mello::abi::fs::O_NOFOLLOW, 0) else {
        return children;
    };
    let mut buf = [0u8; 2048];
    while let Ok(n @ 1..) = mello::fs::getdents(fd, &mut buf) {
        let mut at = 0;
        while at + 19 <= n {
            let reclen = u16::from_le_bytes([buf[at + 16], buf[at + 17]]) as usize;
            let name = &buf[at + 19..at + reclen.max(19)];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            if name != b"." && name != b".." {
                children.push(name.to_vec());
            }
            if reclen == 0 {
                break;
            }
            at += reclen;
        }
    }
    let _ = mello::fs::close(fd);
    children
}
