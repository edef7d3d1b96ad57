//! The MelloOS kernel command line (the README, "Kernel command line").
//!
//! Syntax: words separated by ASCII whitespace. Each word before the first
//! *standalone* `--` word is an option; everything after that `--` word
//! goes to init as `argv[1..]`. A `--` inside a word (`init=/bin/a--b`) is
//! just part of the word. There is no quoting.
//!
//! Options: `init=PATH`, `ktest`, `ktest=GROUP,...`, `abi=native|linux`,
//! `root=DEV`, `net=dhcp|off|ADDR/PREFIX,GATEWAY`, `loglevel=N` (0–7),
//! `norandmaps`, `failslab=N` and `failframe=N` (fault injection: every
//! Nth kernel heap / frame allocation fails), `console=NAME[,OPTIONS]`.
//! When an option is repeated, the last one wins (as on Linux; for
//! `console=` the last one is the one `/dev/console` opens). An unknown word or a malformed value never panics and never
//! changes the result: it is reported as a [`Problem`] by
//! [`Cmdline::problems`] so the kernel can log it and go on.
//!
//! Nothing here allocates: every string in the result borrows from the
//! input. [`items`] yields one classified item per option word;
//! [`Cmdline::parse`] folds them into the final settings.
//!
//! Invariants: `Cmdline::options` and `Cmdline::init_args` are sub-slices
//! of the input; `init_args` has no leading or trailing whitespace;
//! `parse(s).problems()` yields exactly the `Err` items of `items(s)`.
#![no_std]
#![forbid(unsafe_code)]

mod opt;

pub use opt::{Abi, Ipv4, Net, Opt, Problem};

/// Everything the command line asked for. `None` / `false` means "not
/// given": the kernel applies its defaults (e.g. init `/bin/init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Cmdline<'a> {
    /// `init=PATH`: the first user program (PID 1).
    pub init: Option<&'a str>,
    /// `ktest` or `ktest=GROUP,...`: run the in-kernel tests. The string is
    /// the comma-separated group list; empty means every group.
    pub ktest: Option<&'a str>,
    /// `abi=`: personality of an unbranded PID 1.
    pub abi: Option<Abi>,
    /// `root=DEV`: the device to mount as root.
    pub root: Option<&'a str>,
    /// `net=`: how to configure the network.
    pub net: Option<Net>,
    /// `loglevel=N`, 0–7.
    pub loglevel: Option<u8>,
    /// `norandmaps`: no user address-space randomisation.
    pub norandmaps: bool,
    /// `failslab=N`: every Nth kernel heap allocation fails.
    pub failslab: Option<u32>,
    /// `failframe=N`: every Nth physical frame allocation fails.
    pub failframe: Option<u32>,
    /// `console=`: the last console device named, with its options.
    pub console: Option<&'a str>,
    /// The words after the standalone `--`, trimmed (init's `argv[1..]`).
    pub init_args: &'a str,
    /// The option part of the line (before `--`), kept for [`Self::problems`].
    options: &'a str,
}

impl<'a> Cmdline<'a> {
    /// Parse a command line. Never fails; see [`Self::problems`].
    pub fn parse(line: &'a str) -> Cmdline<'a> {
        let (options, init_args) = split_init_args(line);
        let mut c = Cmdline { options, init_args, ..Cmdline::default() };
        for item in items(options).flatten() {
            match item {
                Opt::Init(path) => c.init = Some(path),
                Opt::Ktest(groups) => c.ktest = Some(groups),
                Opt::Abi(abi) => c.abi = Some(abi),
                Opt::Root(dev) => c.root = Some(dev),
                Opt::Net(net) => c.net = Some(net),
                Opt::LogLevel(n) => c.loglevel = Some(n),
                Opt::NoRandMaps => c.norandmaps = true,
                Opt::FailSlab(n) => c.failslab = Some(n),
                Opt::FailFrame(n) => c.failframe = Some(n),
                Opt::Console(dev) => c.console = Some(dev),
            }
        }
        c
    }

    /// The unknown or malformed option words, in order. They were ignored.
    pub fn problems(&self) -> impl Iterator<Item = Problem<'a>> + 'a {
        items(self.options).filter_map(Result::err)
    }

    /// The recognised options, in order (repeats included).
    pub fn options(&self) -> impl Iterator<Item = Opt<'a>> + 'a {
        items(self.options).flatten()
    }

    /// Init's extra arguments (`argv[1..]`), one per word.
    pub fn init_args(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.init_args.split_ascii_whitespace()
    }

    /// The `ktest=` groups, if the test suite was asked for (an empty
    /// iterator means every group).
    pub fn ktest_groups(&self) -> Option<impl Iterator<Item = &'a str> + 'a> {
        self.ktest.map(|g| g.split(',').filter(|s| !s.is_empty()))
    }
}

/// Split `line` at the first standalone `--` word: (options, init args).
/// Without one, everything is options and there are no init args.
pub fn split_init_args(line: &str) -> (&str, &str) {
    let mut rest = line;
    let mut consumed = 0;
    loop {
        let start = rest.len() - rest.trim_start_matches(is_space).len();
        let word_len = rest[start..].find(is_space).unwrap_or(rest.len() - start);
        if word_len == 0 {
            return (line, "");
        }
        let end = start + word_len;
        if &rest[start..end] == "--" {
            let options = &line[..consumed + start];
            return (options, line[consumed + end..].trim_matches(is_space));
        }
        consumed += end;
        rest = &rest[end..];
    }
}

/// Classify every word of an option string (which must not include the
/// `--` part: see [`split_init_args`]).
pub fn items(options: &str) -> impl Iterator<Item = Result<Opt<'_>, Problem<'_>>> {
    options.split_ascii_whitespace().map(Opt::parse)
}

/// Whitespace as `split_ascii_whitespace` sees it.
fn is_space(c: char) -> bool {
    c.is_ascii_whitespace()
}
