//! `init`: the first user program (PID 1). First the spec's example: prints
//! a greeting and its pid (which must be 1), forks a child that says hello
//! and exits 0, waits for it and checks the status, sleeps two ticks and
//! yields. Each failed step prints `[INIT] ... FAILED` and makes the exit
//! status non-zero (1 + number of failures, capped at 255).
//!
//! Then, if the demo passed, the initrd has a shell (`/bin/sh`, busybox)
//! and init was not started as `init demo`, it prints `/etc/motd` and runs
//! the shell on the console: `env -i HOME=/root PATH=/bin TERM=linux
//! setsid -c sh -l` (busybox applets: a clean environment, a new session
//! whose controlling terminal is the console, a login shell with job
//! control). Init reaps every process re-parented to it until the shell
//! ends and exits with the shell's status. Either way, when init exits the
//! kernel prints `[KERNEL] init exited with code N` and powers off: `exit`
//! in the shell turns the machine off.
#![no_std]
#![no_main]

use mello::{println, Args};

mello::entry!(main);

fn main(args: Args) -> i32 {
    let status = demo();
    if status != 0 || args.str(1) == Some("demo") || mello::fs::stat(c"/bin/sh").is_err() {
        return status;
    }
    shell()
}

/// The console shell (see the module doc); its exit status.
fn shell() -> i32 {
    if let Ok(fd) = mello::fs::open(c"/etc/motd", mello::fs::O_RDONLY, 0) {
        let mut buf = [0u8; 512];
        while let Ok(n @ 1..) = mello::fs::read(fd, &mut buf) {
            mello::io::write_all(1, &buf[..n]);
        }
        let _ = mello::fs::close(fd);
    }
    let argv = [c"env", c"-i", c"HOME=/root", c"PATH=/bin", c"TERM=linux", c"setsid", c"-c", c"sh", c"-l"];
    let shell = match mello::fork() {
        Ok(0) => {
            let e = mello::exec(c"/bin/env", &argv);
            println!("[INIT] cannot start the shell: exec /bin/env: {:?}", e);
            mello::exit(127);
        }
        Ok(pid) => pid,
        Err(e) => {
            println!("[INIT] cannot start the shell: fork: {:?}", e);
            return 1;
        }
    };
    // Reap orphans too; the shell's status is init's.
    loop {
        let mut status = 0;
        match mello::wait(-1, Some(&mut status)) {
            Ok(pid) if pid == shell => return status,
            Ok(_) => {}
            Err(e) => {
                println!("[INIT] wait: {:?}", e);
                return 1;
            }
        }
    }
}

/// The spec's example; 0 if every step passed.
fn demo() -> i32 {
    println!("Hello from userland!");
    let mut failures = 0;
    let mut check = |ok: bool, what: core::fmt::Arguments| {
        if !ok {
            println!("[INIT] {} FAILED", what);
            failures += 1;
        }
    };

    let pid = mello::getpid();
    println!("[INIT] getpid() = {:?}", pid);
    check(pid == Ok(1), format_args!("getpid() == 1: got {:?}", pid));

    match mello::fork() {
        Ok(0) => {
            println!("I'm the child!");
            mello::exit(0);
        }
        Ok(child) => {
            println!("[INIT] forked child {}", child);
            let mut status = -1;
            let reaped = mello::wait(child as isize, Some(&mut status));
            println!("[INIT] child {} exited with status {}", child, status);
            check(reaped == Ok(child), format_args!("wait({}) returned {:?}", child, reaped));
            check(status == 0, format_args!("child exit status 0: got {}", status));
        }
        Err(e) => check(false, format_args!("fork() returned {:?}", e)),
    }

    let slept = mello::sleep(2);
    check(slept == Ok(0), format_args!("sleep(2): got {:?}", slept));
    let yielded = mello::yield_now();
    check(yielded == Ok(0), format_args!("yield(): got {:?}", yielded));

    if failures == 0 {
        println!("[INIT] all done");
        0
    } else {
        println!("[INIT] {} step(s) failed", failures);
        (1 + failures).min(255)
    }
}
