//! The kernel command line: `init=PATH`, `ktest` (or `ktest=GROUP,...` to
//! run only some test groups), and `-- ARGS...` (extra arguments for init).
//! Anything else is logged and ignored.

use crate::config::DEFAULT_INIT;

pub struct Options<'a> {
    /// First user program (PID 1).
    pub init: &'a str,
    /// Run the in-kernel test suite and power off.
    pub ktest: bool,
    /// Test groups to run (`ktest=MM,SCHED`); empty means all.
    pub ktest_only: &'a str,
    /// Words after `--`, passed to init as argv[1..].
    pub init_args: &'a str,
}

pub fn parse(cmdline: &str) -> Options<'_> {
    let (kernel, init_args) = match cmdline.split_once("--") {
        Some((k, rest)) => (k, rest.trim()),
        None => (cmdline, ""),
    };
    let mut opts = Options { init: DEFAULT_INIT, ktest: false, ktest_only: "", init_args };
    for word in kernel.split_ascii_whitespace() {
        match word.split_once('=') {
            Some(("init", path)) if !path.is_empty() => opts.init = path,
            Some(("ktest", groups)) => {
                opts.ktest = true;
                opts.ktest_only = groups;
            }
            None if word == "ktest" => opts.ktest = true,
            _ => crate::klog!("KERNEL", "ignoring unknown option '{}'", word),
        }
    }
    opts
}
