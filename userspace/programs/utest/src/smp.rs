//! User processes on several CPUs at once, and system-call latency.
//!
//! CPU ids come from `rdtscp`: the kernel keeps the CPU id in
//! `IA32_TSC_AUX`, which `rdtscp` returns in ecx. The workers also sample
//! their APIC id with `cpuid`, which needs no kernel support, so a failure
//! can tell "not spread over CPUs" from "TSC_AUX not set".

use crate::ensure;
use crate::harness::{port, TestResult};
use alloc::format;
use alloc::vec::Vec;
use mello::{cpu, ipc_recv, ipc_send, println, process};

const WORKERS: usize = 4;
const SPINS: usize = 400_000;

/// One busy worker: samples its CPU id while spinning and sends the sets
/// of CPU ids (rdtscp) and APIC ids (cpuid) it saw, as two bit masks.
fn worker() -> i32 {
    let (mut ids, mut apics) = (0u64, 0u64);
    for i in 0..SPINS {
        ids |= 1 << (cpu::cpu_id() & 63);
        if i % 256 == 0 {
            apics |= 1 << (cpu::apic_id() & 63);
        }
    }
    let mut msg = [0u8; 16];
    msg[..8].copy_from_slice(&ids.to_le_bytes());
    msg[8..].copy_from_slice(&apics.to_le_bytes());
    match ipc_send(port::SMP, &msg) {
        Ok(_) => 0,
        Err(_) => 1,
    }
}

fn bits(mask: u64) -> Vec<u32> {
    (0..64).filter(|i| mask & (1 << i) != 0).collect()
}

/// Forks four busy children and collects the CPUs they ran on. With
/// `cpus >= 2` (from the command line) at least two distinct CPUs must
/// appear; otherwise the set is only reported.
pub fn smp_spread(cpus: Option<usize>) -> TestResult {
    let mut pids = Vec::new();
    for _ in 0..WORKERS {
        pids.push(process::spawn(worker).map_err(|e| format!("fork: {:?}", e))?);
    }
    let (mut seen, mut apics) = (0u64, 0u64);
    for _ in 0..WORKERS {
        let mut buf = [0u8; 16];
        let n = ipc_recv(port::SMP, &mut buf).map_err(|e| format!("ipc_recv: {:?}", e))?;
        ensure!(n == 16, "worker sent {} bytes, expected 16", n);
        seen |= u64::from_le_bytes(buf[..8].try_into().unwrap());
        apics |= u64::from_le_bytes(buf[8..].try_into().unwrap());
    }
    for pid in pids {
        let status = process::wait_for(pid).map_err(|e| format!("wait: {:?}", e))?;
        ensure!(status == 0, "worker {} exited with {}", pid, status);
    }
    let (ids, apics) = (bits(seen), bits(apics));
    println!("[UTEST]   {} busy processes ran on CPU(s) {:?} (rdtscp), APIC ids {:?} (cpuid); {:?} CPUs", WORKERS, ids, apics, cpus);
    if let Some(n) = cpus {
        ensure!(ids.iter().all(|&id| (id as usize) < n), "rdtscp CPU id(s) {:?} out of range for {} CPUs", ids, n);
        ensure!(
            ids.len() == apics.len() || apics.len() < 2,
            "rdtscp saw CPU(s) {:?} but cpuid saw APIC ids {:?}: IA32_TSC_AUX does not hold the CPU id",
            ids,
            apics
        );
        ensure!(n < 2 || ids.len() >= 2, "only CPU(s) {:?} used with {} CPUs online", ids, n);
    }
    Ok(())
}

const LATENCY_CALLS: u64 = 10_000;

/// Times 10000 `getpid` calls with rdtsc (instructions under `-icount`).
pub fn syscall_latency() -> TestResult {
    let mut wrong = 0;
    let t0 = cpu::rdtsc();
    for _ in 0..LATENCY_CALLS {
        wrong += (mello::getpid() != Ok(1)) as u32;
    }
    let t1 = cpu::rdtsc();
    println!("[UTEST] syscall latency: {} instructions/call", (t1 - t0) / LATENCY_CALLS);
    ensure!(wrong == 0, "{} of {} getpid calls did not return 1", wrong, LATENCY_CALLS);
    Ok(())
}
