//! `pingpong`: IPC ping-pong between two processes, a workload of `make
//! soak` (tools/soak/run.sh).
//!
//! ```text
//! pingpong PORT ROUNDS
//! ```
//!
//! The parent forks a child; each round the parent sends an 8-byte
//! sequence number to port `PORT` and the child answers on `PORT + 1`
//! with the number plus one. Every reply is checked; the child's exit
//! status is checked. Prints `pingpong: N rounds on ports P/P+1 ok`, and
//! exits 0, or prints what went wrong and exits 1. A full queue
//! (`EAGAIN`) is retried after a yield.
#![no_std]
#![no_main]

use mello::{ipc_recv, ipc_send, println, yield_now};

mello::entry!(main);

/// Send `value` to `port`, waiting while its queue is full.
fn send(port: usize, value: u64) -> bool {
    loop {
        match ipc_send(port, &value.to_le_bytes()) {
            Ok(_) => return true,
            Err(mello::Errno::EAGAIN) => {
                let _ = yield_now();
            }
            Err(_) => return false,
        }
    }
}

/// Receive one 8-byte number from `port`.
fn recv(port: usize) -> Option<u64> {
    let mut buf = [0u8; 8];
    match ipc_recv(port, &mut buf) {
        Ok(8) => Some(u64::from_le_bytes(buf)),
        _ => None,
    }
}

fn main(args: mello::Args) -> i32 {
    let num = |i: usize| args.str(i).and_then(|s| s.parse::<usize>().ok());
    let (Some(port), Some(rounds)) = (num(1), num(2)) else {
        println!("usage: pingpong PORT ROUNDS");
        return 2;
    };
    let child = mello::process::spawn(|| {
        for _ in 0..rounds {
            let Some(v) = recv(port) else { return 1 };
            if !send(port + 1, v + 1) {
                return 1;
            }
        }
        0
    });
    let Ok(child) = child else {
        println!("pingpong: fork failed: {:?}", child);
        return 1;
    };
    for i in 0..rounds as u64 {
        if !send(port, i) {
            println!("pingpong: send {} to port {} failed", i, port);
            return 1;
        }
        match recv(port + 1) {
            Some(r) if r == i + 1 => {}
            r => {
                println!("pingpong: round {}: got {:?} on port {}, expected {}", i, r, port + 1, i + 1);
                return 1;
            }
        }
    }
    match mello::process::wait_for(child) {
        Ok(0) => {
            println!("pingpong: {} rounds on ports {}/{} ok", rounds, port, port + 1);
            0
        }
        s => {
            println!("pingpong: the child ended with {:?}", s);
            1
        }
    }
}
