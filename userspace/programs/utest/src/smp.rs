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

/// One busy worker: samples its CPU id while spinning and sends the set
/// of CPU ids (rdtscp) it saw and a check of them against `cpuid`: every
/// 256 spins it reads rdtscp, cpuid's APIC id, rdtscp again, and when both
/// rdtscp reads agree (no migration in between) the pair must fit one
/// mapping (each CPU id one APIC id, no APIC id for two CPU ids). Sent as
/// two words: the CPU-id bit mask, and `pairs << 1 | mismatch`.
fn worker() -> i32 {
    let (mut ids, mut pairs, mut mismatch) = (0u64, 0u64, false);
    let mut apic_of = [u32::MAX; 64];
    for i in 0..SPINS {
        let id = cpu::cpu_id() & 63;
        ids |= 1 << id;
        if i % 256 == 0 {
            let apic = cpu::apic_id();
            if cpu::cpu_id() & 63 == id {
                pairs += 1;
                let taken = apic_of.iter().enumerate().any(|(other, &a)| a == apic && other != id as usize);
                mismatch |= taken || (apic_of[id as usize] != u32::MAX && apic_of[id as usize] != apic);
                apic_of[id as usize] = apic;
            }
        }
    }
    let mut msg = [0u8; 16];
    msg[..8].copy_from_slice(&ids.to_le_bytes());
    msg[8..].copy_from_slice(&(pairs << 1 | mismatch as u64).to_le_bytes());
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
    let (mut seen, mut pairs, mut mismatch) = (0u64, 0u64, false);
    for _ in 0..WORKERS {
        let mut buf = [0u8; 16];
        let n = ipc_recv(port::SMP, &mut buf).map_err(|e| format!("ipc_recv: {:?}", e))?;
        ensure!(n == 16, "worker sent {} bytes, expected 16", n);
        seen |= u64::from_le_bytes(buf[..8].try_into().unwrap());
        let check = u64::from_le_bytes(buf[8..].try_into().unwrap());
        pairs += check >> 1;
        mismatch |= check & 1 != 0;
    }
    for pid in pids {
        let status = process::wait_for(pid).map_err(|e| format!("wait: {:?}", e))?;
        ensure!(status == 0, "worker {} exited with {}", pid, status);
    }
    let ids = bits(seen);
    println!("[UTEST]   {} busy processes ran on CPU(s) {:?} (rdtscp; {} samples checked against cpuid); {:?} CPUs", WORKERS, ids, pairs, cpus);
    if let Some(n) = cpus {
        ensure!(ids.iter().all(|&id| (id as usize) < n), "rdtscp CPU id(s) {:?} out of range for {} CPUs", ids, n);
        ensure!(pairs > 0, "no rdtscp/cpuid sample without a migration in between");
        ensure!(!mismatch, "rdtscp's CPU ids do not map one-to-one to cpuid's APIC ids: IA32_TSC_AUX does not hold the CPU id");
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
