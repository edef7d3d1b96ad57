//! IPC ports: messages across processes, the 16-slot queue limit, invalid
//! ports and lengths, truncation to the receiver's buffer, FIFO message
//! order, FIFO wake-up of blocked receivers, and bad buffers.

use crate::ensure;
use crate::harness::{describe, expect_err, port, raw_send, TestResult, KERNEL_ADDR};
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;
use mello::abi::nr;
use mello::limits::{MAX_MSG, NUM_PORTS, PORT_QUEUE_LEN};
use mello::{ipc_recv, ipc_send, process, raw, sleep, Errno};

/// A ping goes to a child, which answers with a pong built from it.
pub fn ipc_across_processes() -> TestResult {
    let child = process::spawn(|| {
        let mut buf = [0u8; 64];
        let Ok(n) = ipc_recv(port::PING, &mut buf) else { return 1 };
        let mut reply = Vec::from(&b"pong:"[..]);
        reply.extend_from_slice(&buf[..n]);
        ipc_send(port::PONG, &reply).map_or(2, |_| 0)
    })
    .map_err(|e| format!("fork: {:?}", e))?;
    let sent = ipc_send(port::PING, b"hello");
    let mut buf = [0u8; 64];
    let got = ipc_recv(port::PONG, &mut buf);
    let status = process::wait_for(child);
    ensure!(sent == Ok(0), "ipc_send returned {:?}, expected Ok(0)", sent);
    ensure!(got == Ok(10) && &buf[..10] == b"pong:hello", "reply {:?}: {:?}", got, core::str::from_utf8(&buf[..got.unwrap_or(0).min(64)]));
    ensure!(status == Ok(0), "child status {:?}", status);
    Ok(())
}

/// 16 messages fit in a port's queue, the 17th gets EAGAIN; they come out
/// in the order they went in; the queue is usable again afterwards.
pub fn ipc_queue_full_and_fifo() -> TestResult {
    for i in 0..PORT_QUEUE_LEN {
        let r = ipc_send(port::QUEUE, &[i as u8, 0xAA]);
        ensure!(r == Ok(0), "send #{} to an empty-ish queue: {:?}", i + 1, r);
    }
    let r = ipc_send(port::QUEUE, b"x");
    let mut order = Vec::new();
    for _ in 0..PORT_QUEUE_LEN {
        let mut buf = [0u8; 8];
        let n = ipc_recv(port::QUEUE, &mut buf).map_err(|e| format!("recv: {:?}", e))?;
        ensure!(n == 2, "received {} bytes, expected 2", n);
        order.push(buf[0]);
    }
    ensure!(r == Err(Errno::EAGAIN), "send #{} to a full queue: expected EAGAIN, got {:?}", PORT_QUEUE_LEN + 1, r);
    let want: Vec<u8> = (0..PORT_QUEUE_LEN as u8).collect();
    ensure!(order == want, "messages came out as {:?}, expected {:?}", order, want);
    let again = ipc_send(port::QUEUE, b"z");
    let mut buf = [0u8; 1];
    ensure!(again == Ok(0) && ipc_recv(port::QUEUE, &mut buf) == Ok(1) && buf[0] == b'z', "queue unusable after draining");
    Ok(())
}

/// Port 256 and beyond, and messages over 4096 bytes, are EINVAL; exactly
/// 4096 bytes go through intact.
pub fn ipc_invalid_arguments() -> TestResult {
    let big = vec![0x5Au8; MAX_MSG + 1];
    for p in [NUM_PORTS, NUM_PORTS + 1, usize::MAX] {
        expect_err(&format!("ipc_send(port {})", p as isize), raw_send(p, big.as_ptr() as usize, 1), Errno::EINVAL)?;
        let mut buf = [0u8; 4];
        let r = ipc_recv(p, &mut buf);
        ensure!(r == Err(Errno::EINVAL), "ipc_recv(port {}): expected EINVAL, got {:?}", p as isize, r);
    }
    expect_err("ipc_send(len 4097)", raw_send(port::BIG, big.as_ptr() as usize, MAX_MSG + 1), Errno::EINVAL)?;
    let full: Vec<u8> = (0..MAX_MSG).map(|i| (i * 7) as u8).collect();
    let r = ipc_send(port::BIG, &full);
    ensure!(r == Ok(0), "ipc_send(len 4096): {:?}", r);
    let mut back = vec![0u8; MAX_MSG + 100];
    let n = ipc_recv(port::BIG, &mut back);
    ensure!(n == Ok(MAX_MSG) && back[..MAX_MSG] == full[..], "4096-byte message came back as {:?} bytes / different", n);
    Ok(())
}

/// A receiver with a short buffer gets the start of the message; the rest
/// is dropped, not left for the next receive.
pub fn ipc_truncation() -> TestResult {
    let long = [b'A'; 100];
    ipc_send(port::TRUNC, &long).map_err(|e| format!("send: {:?}", e))?;
    ipc_send(port::TRUNC, b"B").map_err(|e| format!("send: {:?}", e))?;
    let mut buf = [0u8; 10];
    let first = ipc_recv(port::TRUNC, &mut buf);
    ensure!(first == Ok(10) && buf == [b'A'; 10], "recv(10 of 100): {:?} {:?}", first, buf);
    let second = ipc_recv(port::TRUNC, &mut buf);
    ensure!(second == Ok(1) && buf[0] == b'B', "next recv: {:?} {:?} (expected the second message, 'B')", second, &buf[..1]);
    Ok(())
}

/// Receivers blocked on one port are woken in the order they blocked.
pub fn ipc_waiters_fifo() -> TestResult {
    const N: usize = 3;
    let mut pids = Vec::new();
    for i in 0..N {
        let pid = process::spawn(move || {
            let _ = ipc_send(port::READY, &[i as u8]);
            let mut buf = [0u8; 1];
            ipc_recv(port::FIFO, &mut buf).map_or(100, |_| buf[0] as i32)
        })
        .map_err(|e| format!("fork: {:?}", e))?;
        pids.push(pid);
        let mut ready = [0u8; 1];
        ipc_recv(port::READY, &mut ready).map_err(|e| format!("recv ready: {:?}", e))?;
        // Give child i time to block in ipc_recv before child i+1 exists.
        let _ = sleep(5);
    }
    for i in 0..N {
        ipc_send(port::FIFO, &[i as u8]).map_err(|e| format!("send: {:?}", e))?;
    }
    let got: Vec<_> = pids.iter().map(|&pid| process::wait_for(pid)).collect();
    let want: Vec<_> = (0..N as i32).map(Ok).collect();
    ensure!(got == want, "blocked receivers (in blocking order) got messages {:?}, expected {:?}", got, want);
    Ok(())
}

/// Bad receive buffers give EFAULT (a message is queued first, so the
/// call cannot block).
pub fn ipc_recv_bad_buffer() -> TestResult {
    ipc_send(port::FAULT, b"m").map_err(|e| format!("send: {:?}", e))?;
    // SAFETY: the kernel must refuse to write to a kernel address.
    let r = unsafe { raw::syscall6(nr::IPC_RECV, [port::FAULT, KERNEL_ADDR, 16, 0, 0, 0]) };
    ensure!(r == Errno::EFAULT.as_ret(), "ipc_recv into a kernel address: expected EFAULT, got {}", describe(r));
    Ok(())
}
