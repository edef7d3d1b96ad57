//! `forkloop`: 1000 rounds of fork / child exit / wait (N from argv[1] if
//! given). Child `i` exits with `i & 0xff`; every round checks the pid and
//! status `wait` reports. Exits 0 iff all rounds were right. A kernel test
//! compares free frames before and after, so nothing may leak.
#![no_std]
#![no_main]

use mello::{println, process, Args};

mello::entry!(main);

fn main(args: Args) -> i32 {
    let n: usize = args.str(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let mut bad = 0usize;
    for i in 0..n {
        let code = (i & 0xff) as i32;
        let result = process::spawn(|| code).and_then(|pid| Ok((pid, process::wait_for(pid)?)));
        match result {
            Ok((_, status)) if status == code => {}
            Ok((pid, status)) => {
                bad += 1;
                println!("[FORKLOOP] round {}: child {} status {} (expected {})", i, pid, status, code);
            }
            Err(e) => {
                bad += 1;
                println!("[FORKLOOP] round {}: {:?}", i, e);
            }
        }
        if bad >= 10 {
            println!("[FORKLOOP] giving up after 10 errors");
            break;
        }
    }
    println!("[FORKLOOP] {} rounds, {} errors", n, bad);
    (bad != 0) as i32
}
