//! `fuzz`: a system-call fuzzer for the native personality, run as init
//! (`init=/bin/fuzz -- seed=S calls=N procs=P`).
//!
//! It forks P workers (they spread over the CPUs) that together make N
//! random calls with boundary arguments and short call sequences (see
//! `worker.rs`, `seqs.rs`); each result is checked against what the call
//! may return (`check.rs`). A short warm-up round first fills the kernel's
//! caches, then the resource counters are read as the baseline; after the
//! run and the clean-up (`leak.rs`) they must come back to it exactly.
//!
//! Output (to the console, through a descriptor the workers never touch):
//! `[FUZZ] seed=S procs=P calls=N`, progress lines, one
//! `[FUZZ] FINDING seed=S worker=W call=C ...` line per finding, the leak
//! comparison and `[FUZZ] done: N calls in T s (R calls/s), F findings`.
//! Exit status 0 iff there was no finding and no leak. The same seed replays
//! the same call stream in each worker (`seed=` of the first line); no seed
//! given means one from the time stamp counter. `leaks=0` skips the leak
//! check (for runs beside other programs, `make soak`): the last line then
//! ends `F findings, leaks not checked`. `rounds=K` splits the run into K
//! rounds (fresh workers each, seeded by the round) and prints after each
//! `[FUZZ] round R/K: exact`, or the counters that changed in that round
//! (`free_frames A -> B ...`): which part of a long run lost something.
//! `deeptree=N` fuzzes nothing: it checks that the clean-up of an N-deep
//! directory tree leaves the counters exact (`[FUZZ] deeptree N: exact`).
#![no_std]
#![no_main]

extern crate alloc;

mod check;
mod leak;
mod paths;
mod pools;
mod report;
mod rng;
mod seqs;
mod worker;

use alloc::vec::Vec;
use mello::Args;
use mello::abi::fs::O_RDWR;
use report::REPORT_FD;

mello::entry!(main);

struct Config {
    seed: u64,
    calls: u64,
    procs: usize,
    warmup: u64,
    seq_pct: u64,
    profile: bool,
    mask: u64,
    tolerant: bool,
    /// `leaks=0`: no leak check (other programs run beside it: `make soak`).
    leaks: bool,
    /// `rounds=K`: the run in K rounds, counters compared after each.
    rounds: u64,
    /// `deeptree=N`: check the clean-up of an N-deep tree instead of fuzzing.
    deeptree: u64,
}

/// Worker `i` receives on port `WORKER_PORTS + i`.
const WORKER_PORTS: usize = 200;

fn config(args: &Args) -> Config {
    let mut c = Config {
        seed: mello::cpu::rdtsc(),
        calls: 200_000,
        procs: 4,
        warmup: 2_000,
        seq_pct: 3,
        profile: false,
        mask: u64::MAX,
        tolerant: false,
        leaks: true,
        rounds: 1,
        deeptree: 0,
    };
    for a in args.iter().skip(1) {
        let Ok(a) = a.to_str() else { continue };
        let Some((k, v)) = a.split_once('=') else {
            continue;
        };
        let n = match v.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => v.parse::<u64>(),
        };
        let Ok(n) = n else { continue };
        match k {
            "seed" => c.seed = n,
            "calls" => c.calls = n,
            "procs" => c.procs = (n as usize).clamp(1, 32),
            "warmup" => c.warmup = n,
            "seqpct" => c.seq_pct = n.min(100),
            "profile" => c.profile = n != 0,
            "mask" => c.mask = n,
            "tolerant" => c.tolerant = n != 0,
            "leaks" => c.leaks = n != 0,
            "rounds" => c.rounds = n.max(1),
            "deeptree" => c.deeptree = n,
            _ => {}
        }
    }
    c
}

/// The dead top of the initial stack (argv, auxv, strings): from the
/// stack pointer `_start` got up to the first page past the last string.
fn memory(args: &Args) -> pools::Memory {
    let last = args.get(args.len().saturating_sub(1)).map_or(0, |s| s.as_ptr() as usize + s.to_bytes().len() + 1);
    let edge_hi = (last.max(mello::initial_stack()) + 4095) & !4095;
    let edge_lo = (mello::initial_stack() + 15) & !15;
    pools::Memory { edge_lo: edge_lo.max(edge_hi - 4096), edge_hi }
}

/// Seconds since boot, in hundredths (`/proc/uptime`).
fn uptime_cs() -> u64 {
    let Ok(fd) = mello::fs::open(c"/proc/uptime", 0, 0) else {
        return 0;
    };
    let mut buf = [0u8; 64];
    let n = mello::fs::read(fd, &mut buf).unwrap_or(0);
    let _ = mello::fs::close(fd);
    let text = core::str::from_utf8(&buf[..n]).unwrap_or("");
    let first = text.split(' ').next().unwrap_or("");
    let (s, cs) = first.split_once('.').unwrap_or((first, "0"));
    s.parse::<u64>().unwrap_or(0) * 100 + cs.parse::<u64>().unwrap_or(0)
}

/// Fork `procs` workers, `quota` calls each; wait for all. Returns the
/// number of findings (a worker that did not exit cleanly counts as one).
fn round(cfg: &Config, mem: pools::Memory, quota: u64, salt: u64) -> u32 {
    let mut pids = Vec::new();
    for id in 0..cfg.procs {
        let seed = rng::derive(cfg.seed ^ salt, id as u64);
        match mello::fork() {
            Ok(0) => mello::exit(run_worker(id, seed, cfg, mem, quota)),
            Ok(pid) => pids.push((id, pid)),
            Err(e) => say!("cannot fork worker {}: {:?}", id, e),
        }
    }
    let mut findings = 0;
    for (id, pid) in pids {
        match mello::process::wait_for(pid) {
            Ok(0) => {}
            Ok(1) => findings += 1,
            // Under fault injection a worker may be killed for a page fault
            // that found no memory (128 + SIGKILL, from the kernel's OOM
            // path) or die of SIGSEGV when a signal frame could not be
            // written (128 + SIGSEGV).
            Ok(137 | 139) if cfg.tolerant => say!("worker {} killed (out of memory under fault injection)", id),
            Ok(s) => {
                say!("FINDING seed={} worker={}: the worker ended with status {}", cfg.seed, id, s);
                findings += 1;
            }
            Err(e) => say!("FINDING seed={} worker={}: wait failed: {:?}", cfg.seed, id, e),
        }
    }
    // Orphans (none expected) are ours now: reap them.
    while mello::process::wait_any().is_ok() {}
    findings
}

fn run_worker(id: usize, seed: u64, cfg: &Config, mem: pools::Memory, quota: u64) -> i32 {
    let paths = paths::Paths::new(id);
    let _ = mello::fs::mkdir(core::ffi::CStr::from_bytes_with_nul(&paths.dir).unwrap_or(c"/tmp"), 0o755);
    let _ = mello::fs::chdir(core::ffi::CStr::from_bytes_with_nul(&paths.dir).unwrap_or(c"/tmp"));
    let mut w = worker::Worker {
        id,
        seed: cfg.seed,
        seq_pct: cfg.seq_pct,
        mask: cfg.mask,
        tolerant: cfg.tolerant,
        profile: cfg.profile.then_some([0; 32]),
        rng: rng::Rng::new(seed),
        mem,
        paths,
        pid: mello::getpid().unwrap_or(0),
        port: WORKER_PORTS + id,
        fds: Vec::new(),
        closed: Vec::new(),
        calls: 0,
        findings: 0,
        child: false,
    };
    w.run(quota);
    (w.findings > 0) as i32
}

/// Clean up after a round: no message queued, no worker directory left.
fn clean(cfg: &Config) {
    // Beside other programs (`leaks=0`), only the workers' own ports: the
    // others may be in use.
    let ports = if cfg.leaks { 0..mello::limits::NUM_PORTS } else { WORKER_PORTS..WORKER_PORTS + cfg.procs };
    leak::drain_ports(ports);
    for id in 0..cfg.procs {
        leak::remove_tree(id);
    }
    let _ = mello::fs::chdir(c"/");
}

/// `fuzz aslr`: exec itself with its stack's top page in argv; the second
/// image says whether its own differs (user ASLR) or is the same
/// (`norandmaps`): `[FUZZ] aslr: native stack differs|same`.
fn aslr(args: &Args, mem: &pools::Memory) -> i32 {
    let top = mem.edge_hi;
    if let Some(before) = args.str(2).and_then(|s| s.parse::<usize>().ok()) {
        say!("aslr: native stack {}", if before == top { "same" } else { "differs" });
        return 0;
    }
    let arg = alloc::format!("{top}\0");
    let Ok(arg) = core::ffi::CStr::from_bytes_with_nul(arg.as_bytes()) else {
        return 1;
    };
    let e = mello::exec(c"/bin/fuzz", &[c"fuzz", c"aslr", arg]);
    say!("aslr: exec /bin/fuzz failed: {:?}", e);
    1
}

/// The counters that differ between `before` and `now`
/// (` free_frames A -> B ...`), or ` exact`.
fn changes(before: &leak::Counters, now: &leak::Counters) -> alloc::string::String {
    let mut line = alloc::string::String::new();
    for (i, name) in leak::NAMES_RES.iter().enumerate() {
        if now[i] != before[i] {
            line += &alloc::format!(" {} {} -> {}", name, before[i], now[i]);
        }
    }
    if line.is_empty() { alloc::string::String::from(" exact") } else { line }
}

/// After round `r` of `rounds`: what changed since `before` (the previous
/// round's end); returns the new reading.
fn round_check(r: u64, rounds: u64, before: &leak::Counters) -> leak::Counters {
    let now = leak::settle(before, 200).unwrap_or(*before);
    say!("round {}/{}:{}", r + 1, rounds, changes(before, &now));
    now
}

/// `deeptree=N`: the clean-up's own check, no fuzzing. N directories
/// nested in `/tmp/fuzz0` (as renames nest them in a long run), each with
/// a file and another directory, then `clean`: the counters must be back
/// at `base`, `[FUZZ] deeptree N: exact` (else what changed, status 1).
fn deep_tree(cfg: &Config, base: &leak::Counters) -> i32 {
    let _ = mello::fs::mkdir(c"/tmp/fuzz0", 0o755);
    let mut made = 0;
    if mello::fs::chdir(c"/tmp/fuzz0").is_ok() {
        while made < cfg.deeptree && mello::fs::mkdir(c"d0", 0o755).is_ok() && mello::fs::chdir(c"d0").is_ok() {
            let _ = mello::fs::mkdir(c"d1", 0o755);
            let _ = mello::fs::open(c"f0", mello::abi::fs::O_CREAT | O_RDWR, 0o644).map(mello::fs::close);
            made += 1;
        }
    }
    clean(cfg);
    let after = leak::settle(base, 200).unwrap_or_default();
    let line = changes(base, &after);
    say!("deeptree {}:{}", made, line);
    (made != cfg.deeptree || line != " exact") as i32
}

fn main(args: Args) -> i32 {
    let cfg = config(&args);
    if args.str(1) == Some("aslr") {
        let _ = mello::fs::dup2(1, REPORT_FD);
        return aslr(&args, &memory(&args));
    }
    let mem = memory(&args); // `args` is dead from here on (its memory is fuzzed)
    // The console stays reachable only through REPORT_FD.
    let _ = mello::fs::dup2(1, REPORT_FD);
    if let Ok(null) = mello::fs::open(c"/dev/null", O_RDWR, 0) {
        for fd in 0..3 {
            let _ = mello::fs::dup2(null, fd);
        }
        let _ = mello::fs::close(null);
    }
    say!("seed={} procs={} calls={}", cfg.seed, cfg.procs, cfg.calls);
    let mut findings = round(&cfg, mem, cfg.warmup, 0x5eed);
    clean(&cfg);
    let quota = cfg.calls.div_ceil(cfg.procs as u64);
    let total = quota * cfg.procs as u64;
    if !cfg.leaks {
        let t0 = uptime_cs();
        findings += round(&cfg, mem, quota, 0);
        let cs = uptime_cs().saturating_sub(t0).max(1);
        clean(&cfg);
        say!("done: {} calls in {}.{:02} s ({} calls/s), {} findings, leaks not checked", total, cs / 100, cs % 100, total * 100 / cs, findings);
        return (findings > 0) as i32;
    }
    leak::prime();
    leak::prefault();
    let Some(base) = leak::stable() else {
        say!("no res.* counters in /proc/mellos/metrics: cannot check leaks");
        return 1;
    };
    if cfg.deeptree > 0 {
        return deep_tree(&cfg, &base);
    }
    let t0 = uptime_cs();
    let mut last = base;
    let per_round = quota.div_ceil(cfg.rounds);
    for r in 0..cfg.rounds {
        findings += round(&cfg, mem, per_round.min(quota.saturating_sub(per_round * r)), r);
        if cfg.rounds > 1 {
            clean(&cfg);
            last = round_check(r, cfg.rounds, &last);
        }
    }
    let cs = uptime_cs().saturating_sub(t0).max(1);
    clean(&cfg);
    let after = leak::settle(&base, 200).unwrap_or_default();
    let mut leaks = 0;
    for (i, name) in leak::NAMES_RES.iter().enumerate() {
        // Kernel page tables are a high-water mark: free frames count
        // together with them (a frame that became a table is not lost).
        let (b, a) = match i {
            0 => (base[0] + base[1], after[0] + after[1]),
            1 => (0, 0),
            _ => (base[i], after[i]),
        };
        // A leak is a resource not given back: fewer free frames or heap
        // bytes, more stacks, files or processes. More free than at the
        // baseline (a cache the run emptied) is reported, not failed.
        let leaked = if i < 3 { a < b } else { a > b };
        leaks += leaked as u32;
        let note = if leaked { "  LEAK" } else if a != b { "  (more free than at the baseline)" } else { "" };
        say!("leak check: {} {} -> {}{}", name, base[i], after[i], note);
    }
    if !pools::rodata_intact() {
        say!("FINDING seed={}: the read-only page was modified", cfg.seed);
        findings += 1;
    }
    say!("done: {} calls in {}.{:02} s ({} calls/s), {} findings, {} leaks", total, cs / 100, cs % 100, total * 100 / cs, findings, leaks);
    (findings + leaks > 0) as i32
}
