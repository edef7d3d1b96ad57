//! One command-line word: its typed meaning ([`Opt`]) or what is wrong
//! with it ([`Problem`]), and the value syntaxes (`abi=`, `net=`, IPv4).
//!
//! Invariants: [`Opt::parse`] never panics, for any input; a word it
//! accepts prints back (via `Display`) as a word that parses to the same
//! `Opt` (canonical form: `ktest=` prints as `ktest`); every `Problem`
//! carries the whole offending word.

use core::fmt;

/// A recognised option with its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opt<'a> {
    /// `init=PATH` (PATH non-empty).
    Init(&'a str),
    /// `ktest` (empty string) or `ktest=GROUP,...`.
    Ktest(&'a str),
    /// `abi=native|linux`.
    Abi(Abi),
    /// `root=DEV` (DEV non-empty).
    Root(&'a str),
    /// `net=dhcp|off|ADDR/PREFIX,GATEWAY`.
    Net(Net),
    /// `loglevel=N`, N in 0..=7.
    LogLevel(u8),
    /// `norandmaps`.
    NoRandMaps,
    /// `failslab=N`: every Nth kernel heap allocation fails (N 1..=1000000).
    FailSlab(u32),
    /// `failframe=N`: every Nth physical frame allocation fails.
    FailFrame(u32),
    /// `console=NAME[,OPTIONS]` (NAME non-empty): a console device, as
    /// Linux's (`ttyS0,115200n8`, `tty1`); the kernel decides which names
    /// it has.
    Console(&'a str),
}

/// The personality of a PID 1 whose ELF carries no brand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    Native,
    Linux,
}

/// Network configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Net {
    /// Ask a DHCP server.
    Dhcp,
    /// No network.
    Off,
    /// A fixed address `addr/prefix` with a default route via `gateway`.
    Static { addr: Ipv4, prefix: u8, gateway: Ipv4 },
}

/// An IPv4 address, most significant octet first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4(pub [u8; 4]);

/// A word the kernel ignores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem<'a> {
    /// Not an option the kernel knows.
    Unknown(&'a str),
    /// A known option with a bad or missing value.
    Malformed { word: &'a str, reason: &'static str },
}

impl<'a> Opt<'a> {
    /// Classify one word (no whitespace in it).
    pub fn parse(word: &'a str) -> Result<Opt<'a>, Problem<'a>> {
        let bad = |reason| Problem::Malformed { word, reason };
        let (key, value) = match word.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (word, None),
        };
        match (key, value) {
            ("ktest", None) => Ok(Opt::Ktest("")),
            ("ktest", Some(groups)) if groups.split(',').any(str::is_empty) && !groups.is_empty() => {
                Err(bad("empty test group name"))
            }
            ("ktest", Some(groups)) => Ok(Opt::Ktest(groups)),
            ("norandmaps", None) => Ok(Opt::NoRandMaps),
            ("norandmaps", Some(_)) => Err(bad("takes no value")),
            ("init" | "abi" | "root" | "net" | "loglevel" | "failslab" | "failframe" | "console", None) => Err(bad("needs a value")),
            ("console", Some(v)) if v.is_empty() || v.starts_with(',') => Err(bad("empty device name")),
            ("console", Some(v)) => Ok(Opt::Console(v)),
            ("failslab" | "failframe", Some(v)) => match parse_count(v) {
                Some(n) if key == "failslab" => Ok(Opt::FailSlab(n)),
                Some(n) => Ok(Opt::FailFrame(n)),
                None => Err(bad("expected a count from 1 to 1000000")),
            },
            ("init" | "root", Some("")) => Err(bad("empty value")),
            ("init", Some(path)) => Ok(Opt::Init(path)),
            ("root", Some(dev)) => Ok(Opt::Root(dev)),
            ("abi", Some("native")) => Ok(Opt::Abi(Abi::Native)),
            ("abi", Some("linux")) => Ok(Opt::Abi(Abi::Linux)),
            ("abi", Some(_)) => Err(bad("expected native or linux")),
            ("net", Some(v)) => Net::parse(v).map(Opt::Net).map_err(bad),
            ("loglevel", Some(v)) => match parse_decimal(v, 7) {
                Some(n) => Ok(Opt::LogLevel(n as u8)),
                None => Err(bad("expected a level from 0 to 7")),
            },
            _ => Err(Problem::Unknown(word)),
        }
    }
}

impl Net {
    /// Parse the value of `net=`.
    pub fn parse(v: &str) -> Result<Net, &'static str> {
        match v {
            "dhcp" => return Ok(Net::Dhcp),
            "off" => return Ok(Net::Off),
            _ => {}
        }
        let (cidr, gateway) = v.split_once(',').ok_or("expected dhcp, off or ADDR/PREFIX,GATEWAY")?;
        let (addr, prefix) = cidr.split_once('/').ok_or("expected ADDR/PREFIX before the comma")?;
        let addr = Ipv4::parse(addr).ok_or("bad IPv4 address")?;
        let prefix = parse_decimal(prefix, 32).ok_or("prefix must be 0 to 32")? as u8;
        let gateway = Ipv4::parse(gateway).ok_or("bad IPv4 gateway")?;
        Ok(Net::Static { addr, prefix, gateway })
    }
}

impl Ipv4 {
    /// Dotted decimal: four parts of 1–3 digits, each at most 255.
    pub fn parse(s: &str) -> Option<Ipv4> {
        let mut octets = [0u8; 4];
        let mut parts = s.split('.');
        for octet in &mut octets {
            *octet = parse_decimal(parts.next()?, 255)? as u8;
        }
        parts.next().is_none().then_some(Ipv4(octets))
    }

    /// The netmask of a `/prefix` network (`prefix` at most 32).
    pub fn netmask(prefix: u8) -> Ipv4 {
        let bits = u32::MAX.checked_shl(32 - u32::from(prefix.min(32))).unwrap_or(0);
        Ipv4(bits.to_be_bytes())
    }
}

/// A plain decimal number from 1 to 1,000,000 (no sign, no leading zero).
fn parse_count(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 7 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = s.bytes().fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
    (n <= 1_000_000).then_some(n)
}

/// A plain decimal number of 1–3 digits that is at most `max`.
fn parse_decimal(s: &str, max: u32) -> Option<u32> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = s.bytes().fold(0, |n, b| n * 10 + u32::from(b - b'0'));
    (n <= max).then_some(n)
}

impl fmt::Display for Opt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Opt::Init(p) => write!(f, "init={p}"),
            Opt::Ktest("") => f.write_str("ktest"),
            Opt::Ktest(g) => write!(f, "ktest={g}"),
            Opt::Abi(Abi::Native) => f.write_str("abi=native"),
            Opt::Abi(Abi::Linux) => f.write_str("abi=linux"),
            Opt::Root(d) => write!(f, "root={d}"),
            Opt::Net(n) => write!(f, "net={n}"),
            Opt::LogLevel(n) => write!(f, "loglevel={n}"),
            Opt::NoRandMaps => f.write_str("norandmaps"),
            Opt::FailSlab(n) => write!(f, "failslab={n}"),
            Opt::FailFrame(n) => write!(f, "failframe={n}"),
            Opt::Console(c) => write!(f, "console={c}"),
        }
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Net::Dhcp => f.write_str("dhcp"),
            Net::Off => f.write_str("off"),
            Net::Static { addr, prefix, gateway } => write!(f, "{addr}/{prefix},{gateway}"),
        }
    }
}

impl fmt::Display for Ipv4 {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

impl fmt::Display for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Problem::Unknown(w) => write!(f, "unknown option '{w}'"),
            Problem::Malformed { word, reason } => write!(f, "malformed option '{word}': {reason}"),
        }
    }
}
