//! The kernel command line, as the rest of the kernel uses it.
//!
//! The parsing (every option of the README's "Kernel command line", the
//! standalone `--` rule, last-one-wins repeats) lives in the host-tested
//! `mello-cmdline` crate; this adapter applies the kernel's defaults
//! (`init` is [`DEFAULT_INIT`]) and logs each word it ignores: unknown or
//! malformed options, and the options the kernel does not act on yet
//! (`root=`, `net=`); `loglevel=` sets the console log level (`kmsg`);
//! `abi=` sets the personality of an unbranded PID 1
//! (`user::personality`); `norandmaps` turns user ASLR off
//! (`user::loader::set_randomize`); `console=` chooses `/dev/console`
//! (`tty::init`); `failslab=`/`failframe=` set up fault
//! injection (`mm::fault_inject`, armed just before init starts).
//!
//! Invariant: every string in [`Options`] borrows from the boot command
//! line; nothing here panics on any input.

#![forbid(unsafe_code)]

use crate::config::DEFAULT_INIT;
use crate::user::personality::Personality;
use mello_cmdline::{Abi, Cmdline, Opt, Problem};

pub struct Options<'a> {
    /// First user program (PID 1).
    pub init: &'a str,
    /// Run the in-kernel test suite and power off.
    pub ktest: bool,
    /// Test groups to run (`ktest=MM,SCHED`); empty means all.
    pub ktest_only: &'a str,
    /// Words after a standalone `--`, passed to init as argv[1..].
    pub init_args: &'a str,
    /// `console=`: the last one given (`tty::init` decides what it names).
    pub console: Option<&'a str>,
}

pub fn parse(cmdline: &str) -> Options<'_> {
    let c = Cmdline::parse(cmdline);
    for problem in c.problems() {
        match problem {
            Problem::Unknown(word) => crate::klog!("KERNEL", "ignoring unknown option '{}'", word),
            Problem::Malformed { word, reason } => {
                crate::klog!("KERNEL", "ignoring malformed option '{}': {}", word, reason)
            }
        }
    }
    if let Some(n) = c.loglevel {
        crate::kmsg::set_console_level(n);
    }
    if let Some(abi) = c.abi {
        crate::user::personality::set_init_default(match abi {
            Abi::Native => Personality::Native,
            Abi::Linux => Personality::Linux,
        });
    }
    crate::mm::fault_inject::configure(c.failslab, c.failframe);
    if c.norandmaps {
        crate::user::loader::set_randomize(false);
        crate::klog!("KERNEL", "norandmaps: user address-space randomisation off");
    }
    for opt in c.options() {
        if !matches!(opt, Opt::Init(_) | Opt::Ktest(_) | Opt::LogLevel(_) | Opt::Abi(_) | Opt::NoRandMaps | Opt::FailSlab(_) | Opt::FailFrame(_) | Opt::Console(_)) {
            crate::klog!("KERNEL", "ignoring option '{}': not supported yet", opt);
        }
    }
    Options {
        init: c.init.unwrap_or(DEFAULT_INIT),
        ktest: c.ktest.is_some(),
        ktest_only: c.ktest.unwrap_or(""),
        init_args: c.init_args,
        console: c.console,
    }
}
