//! exec: argument passing (checked by `/bin/echo-args`, which exits with
//! argc) and every error exec must report without harming the caller.

use crate::harness::{child_status, describe, expect_err, in_child, raw_exec, Checks, TestResult, KERNEL_ADDR, NON_CANONICAL};
use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::{c_char, CStr};
use core::ptr::null;
use mello::limits::{ARGV_MAX, ARG_MAX, PATH_MAX};
use mello::{exec, Errno};

const ECHO: &CStr = c"/bin/echo-args";

/// Forks a child that execs `path` with `argv`; returns its status.
/// exec failing in the child shows as status 200 + errno.
fn run_exec(path: &CStr, argv: &[&CStr]) -> Result<i32, String> {
    child_status(|| match exec(path, argv) {
        Ok(_) => 199,
        Err(e) => 200 + e as i32,
    })
}

fn run_echo(argv: &[&CStr]) -> Result<i32, String> {
    run_exec(ECHO, argv)
}

/// One check: `status` (of `what`) is `want`.
fn expect_status(checks: &mut Checks, what: &str, status: Result<i32, String>, want: i32) {
    checks.add(match status {
        Ok(s) if s == want => Ok(()),
        Ok(s) => Err(format!("{}: expected status {}, got {}", what, want, explain(s))),
        Err(e) => Err(format!("{}: {}", what, e)),
    })
}

fn explain(status: i32) -> String {
    match status {
        255 => "status 255: echo-args found a bad initial stack (see its [ECHO] line)".into(),
        200.. => format!("status {}: exec failed with errno {}", status, status - 200),
        s => format!("status {}", s),
    }
}

/// `echo-args a bb ccc` exits with argc 4; also 0 args (null argv) and
/// exactly ARGV_MAX args.
pub fn exec_argv() -> TestResult {
    let mut checks = Checks::default();
    let mut expect = |what: &str, status, want| expect_status(&mut checks, what, status, want);
    expect("echo-args a bb ccc", run_echo(&[c"echo-args", c"a", c"bb", c"ccc"]), 4);
    let null_argv = child_status(|| 200 + (raw_exec(ECHO.as_ptr() as usize, 0) as i32).abs());
    expect("exec with argv = NULL (argc 0)", null_argv, 0);
    expect(&format!("exec with ARGV_MAX = {} args", ARGV_MAX), run_echo(&vec![c"x"; ARGV_MAX]), ARGV_MAX as i32);
    checks.finish()
}

/// `#!` scripts (tests/scripts, in the initrd at /test/scripts): the
/// interpreter runs with `[interpreter, argument, script, argv[1..]]`
/// (echo-args exits with argc and prints the vector, which run_all.sh
/// checks), nested scripts resolve, and the bad ones fail as Linux's exec
/// does.
pub fn exec_scripts() -> TestResult {
    let mut checks = Checks::default();
    let mut expect = |what: &str, status, want| expect_status(&mut checks, what, status, want);
    let run = run_exec;
    // [/bin/echo-args, "-x y", /test/scripts/args.sh, a, b]
    expect("args.sh a b", run(c"/test/scripts/args.sh", &[c"args.sh", c"a", c"b"]), 5);
    // [/bin/echo-args, "-x y", /test/scripts/args.sh, /test/scripts/nested.sh, c]
    expect("nested.sh c", run(c"/test/scripts/nested.sh", &[c"nested.sh", c"c"]), 5);
    expect("empty.sh (no interpreter)", run(c"/test/scripts/empty.sh", &[c"empty.sh"]), 200 + Errno::ENOEXEC as i32);
    expect("loop.sh (its own interpreter)", run(c"/test/scripts/loop.sh", &[c"loop.sh"]), 200 + Errno::ELOOP as i32);
    expect("missing.sh (no such interpreter)", run(c"/test/scripts/missing.sh", &[c"missing.sh"]), 200 + Errno::ENOENT as i32);
    checks.finish()
}

/// A NULL-terminated pointer array for `strings`.
fn argv_of(strings: &[CString]) -> Vec<*const c_char> {
    strings.iter().map(|s| s.as_ptr()).chain([null()]).collect()
}

fn exec_errors_in_child() -> TestResult {
    let mut checks = Checks::default();
    let plain = [c"prog".as_ptr(), null()];
    let argv = plain.as_ptr() as usize;
    let path = |p: &CStr| p.as_ptr() as usize;

    checks.add(expect_err("exec /bin/nope", raw_exec(path(c"/bin/nope"), argv), Errno::ENOENT));
    checks.add(expect_err("exec \"\"", raw_exec(path(c""), argv), Errno::ENOENT));
    checks.add(expect_err("exec /README (mode 0644)", raw_exec(path(c"/README"), argv), Errno::EACCES));
    checks.add(expect_err("exec /bin (a directory)", raw_exec(path(c"/bin"), argv), Errno::EACCES));
    checks.add(expect_err("exec /test/scripts/notelf.sh (executable, not ELF)", raw_exec(path(c"/test/scripts/notelf.sh"), argv), Errno::ENOEXEC));
    checks.add(expect_err("exec path = NULL", raw_exec(0, argv), Errno::EFAULT));
    checks.add(expect_err("exec path = kernel address", raw_exec(KERNEL_ADDR, argv), Errno::EFAULT));
    checks.add(expect_err("exec path = non-canonical", raw_exec(NON_CANONICAL, argv), Errno::EFAULT));
    checks.add(expect_err("exec argv = kernel address", raw_exec(path(ECHO), KERNEL_ADDR), Errno::EFAULT));
    let bad_entry = [c"prog".as_ptr(), KERNEL_ADDR as *const c_char, null()];
    checks.add(expect_err("exec argv[1] = kernel address", raw_exec(path(ECHO), bad_entry.as_ptr() as usize), Errno::EFAULT));

    let too_many: Vec<CString> = (0..=ARGV_MAX).map(|_| CString::from(c"x")).collect();
    checks.add(expect_err(&format!("exec with {} args", ARGV_MAX + 1), raw_exec(path(ECHO), argv_of(&too_many).as_ptr() as usize), Errno::E2BIG));
    let piece = ARG_MAX / 3 + 1;
    let too_long: Vec<CString> = (0..3).map(|_| CString::new(vec![b'a'; piece]).unwrap()).collect();
    let what = format!("exec with 3 args of {} bytes (> ARG_MAX {})", piece, ARG_MAX);
    checks.add(expect_err(&what, raw_exec(path(ECHO), argv_of(&too_long).as_ptr() as usize), Errno::E2BIG));

    let long_path = CString::new(vec![b'a'; PATH_MAX + 10]).unwrap();
    let r = raw_exec(path(&long_path), argv);
    let why = format!("exec with a {}-byte path (> PATH_MAX) returned {}", PATH_MAX + 10, describe(r));
    checks.add(if r < 0 { Ok(()) } else { Err(why) });
    checks.finish()
}

/// Every exec error, in a child so an exec that wrongly succeeds cannot
/// replace the test suite; the child goes on running after each failure.
pub fn exec_errors() -> TestResult {
    in_child(exec_errors_in_child)
}
