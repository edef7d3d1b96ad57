//! Behaviour of the command-line parser: every option, its malformed
//! values, the standalone `--` rule, repeats (last wins), empty input,
//! and that problems are reported without changing the result.

use mello_cmdline::{items, split_init_args, Abi, Cmdline, Ipv4, Net, Opt, Problem};

fn problems(line: &str) -> Vec<Problem<'_>> {
    Cmdline::parse(line).problems().collect()
}

fn malformed(word: &str) -> bool {
    matches!(Opt::parse(word), Err(Problem::Malformed { word: w, .. }) if w == word)
}

#[test]
fn empty_and_blank_lines_give_defaults() {
    for line in ["", "   ", "\t\n ", "--", "  --  "] {
        let c = Cmdline::parse(line);
        assert_eq!((c.init, c.ktest, c.abi, c.root, c.net, c.loglevel), (None, None, None, None, None, None));
        assert!(!c.norandmaps);
        assert_eq!(c.init_args, "");
        assert_eq!(c.options().count(), 0);
        assert_eq!(c.init_args().count(), 0);
        assert!(problems(line).is_empty());
    }
}

#[test]
fn init_path() {
    assert_eq!(Cmdline::parse("init=/bin/utest").init, Some("/bin/utest"));
    assert!(malformed("init="));
    assert!(malformed("init"));
    // A malformed repeat does not undo an earlier good value.
    let c = Cmdline::parse("init=/bin/a init=");
    assert_eq!(c.init, Some("/bin/a"));
    assert_eq!(problems("init=/bin/a init="), [Problem::Malformed { word: "init=", reason: "empty value" }]);
}

#[test]
fn double_dash_inside_a_word_is_part_of_it() {
    let c = Cmdline::parse("init=/bin/a--b");
    assert_eq!(c.init, Some("/bin/a--b"));
    assert_eq!(c.init_args, "");

    let c = Cmdline::parse("init=/bin/a--b -- x");
    assert_eq!(c.init, Some("/bin/a--b"));
    assert_eq!(c.init_args().collect::<Vec<_>>(), ["x"]);

    // `--x` and `x--` are words (unknown options), not separators.
    let c = Cmdline::parse("--x ktest x-- init=/i");
    assert_eq!((c.init, c.ktest, c.init_args), (Some("/i"), Some(""), ""));
    assert_eq!(problems("--x ktest x--"), [Problem::Unknown("--x"), Problem::Unknown("x--")]);
}

#[test]
fn only_the_first_standalone_double_dash_splits() {
    let c = Cmdline::parse("ktest -- cpus=4 -- init=/evil\tlast ");
    assert_eq!(c.ktest, Some(""));
    assert_eq!(c.init, None, "options after -- belong to init");
    assert_eq!(c.init_args, "cpus=4 -- init=/evil\tlast");
    assert_eq!(c.init_args().collect::<Vec<_>>(), ["cpus=4", "--", "init=/evil", "last"]);
    assert!(problems("ktest -- bogus").is_empty(), "init's arguments are not checked");

    assert_eq!(split_init_args("a --"), ("a ", ""));
    assert_eq!(split_init_args("--\tb c"), ("", "b c"));
    assert_eq!(split_init_args("a b"), ("a b", ""));
    assert_eq!(split_init_args("a\n--\nb"), ("a\n", "b"));
}

#[test]
fn ktest_and_groups() {
    assert_eq!(Cmdline::parse("ktest").ktest, Some(""));
    assert_eq!(Cmdline::parse("ktest=").ktest, Some(""));
    let c = Cmdline::parse("ktest=MM,SCHED");
    assert_eq!(c.ktest, Some("MM,SCHED"));
    assert_eq!(c.ktest_groups().unwrap().collect::<Vec<_>>(), ["MM", "SCHED"]);
    assert_eq!(Cmdline::parse("ktest").ktest_groups().unwrap().count(), 0);
    assert!(Cmdline::parse("").ktest_groups().is_none());
    assert!(malformed("ktest=MM,,SCHED"));
    assert!(malformed("ktest=MM,"));
    assert_eq!(Cmdline::parse("ktest=MM,").ktest, None);
}

#[test]
fn abi_root_loglevel_norandmaps() {
    assert_eq!(Cmdline::parse("abi=native").abi, Some(Abi::Native));
    assert_eq!(Cmdline::parse("abi=linux").abi, Some(Abi::Linux));
    assert!(malformed("abi=Linux") && malformed("abi=") && malformed("abi"));

    assert_eq!(Cmdline::parse("root=/dev/vda1").root, Some("/dev/vda1"));
    assert!(malformed("root=") && malformed("root"));

    for n in 0..=7u8 {
        assert_eq!(Cmdline::parse(&format!("loglevel={n}")).loglevel, Some(n));
    }
    for bad in ["loglevel=8", "loglevel=-1", "loglevel=", "loglevel=x", "loglevel=0007", "loglevel"] {
        assert!(malformed(bad), "{bad}");
    }

    assert!(Cmdline::parse("norandmaps").norandmaps);
    assert!(malformed("norandmaps=1"));
    assert!(!Cmdline::parse("norandmaps=1").norandmaps);
}

#[test]
fn fault_injection_counts() {
    let c = Cmdline::parse("failslab=100 failframe=7");
    assert_eq!((c.failslab, c.failframe), (Some(100), Some(7)));
    assert_eq!(Cmdline::parse("failframe=1000000").failframe, Some(1_000_000));
    for bad in ["failslab", "failslab=", "failslab=0", "failslab=007", "failslab=1000001", "failframe=-1", "failframe=1e3"] {
        assert!(malformed(bad), "{bad}");
        let c = Cmdline::parse(bad);
        assert_eq!((c.failslab, c.failframe), (None, None), "{bad}");
    }
}

#[test]
fn net_values() {
    assert_eq!(Cmdline::parse("net=dhcp").net, Some(Net::Dhcp));
    assert_eq!(Cmdline::parse("net=off").net, Some(Net::Off));
    let want = Net::Static { addr: Ipv4([10, 0, 2, 15]), prefix: 24, gateway: Ipv4([10, 0, 2, 2]) };
    assert_eq!(Cmdline::parse("net=10.0.2.15/24,10.0.2.2").net, Some(want));
    assert_eq!(Net::parse("0.0.0.0/0,255.255.255.255").unwrap().to_string(), "0.0.0.0/0,255.255.255.255");
    for bad in [
        "net=", "net=DHCP", "net=10.0.2.15", "net=10.0.2.15/24", "net=10.0.2.15,10.0.2.2",
        "net=10.0.2.15/33,10.0.2.2", "net=10.0.2.256/24,10.0.2.2", "net=10.0.2/24,10.0.2.2",
        "net=10.0.2.15.1/24,10.0.2.2", "net=10.0.2.15/24,10.0.2", "net=10.0..15/24,10.0.2.2",
        "net=10.0.2.15/24,10.0.2.2,", "net=+1.0.2.15/24,10.0.2.2", "net=10.0.2.15/,10.0.2.2",
    ] {
        assert!(malformed(bad), "{bad}");
        assert_eq!(Cmdline::parse(bad).net, None, "{bad}");
    }
}

#[test]
fn netmask() {
    assert_eq!(Ipv4::netmask(0), Ipv4([0, 0, 0, 0]));
    assert_eq!(Ipv4::netmask(24), Ipv4([255, 255, 255, 0]));
    assert_eq!(Ipv4::netmask(20), Ipv4([255, 255, 240, 0]));
    assert_eq!(Ipv4::netmask(32), Ipv4([255, 255, 255, 255]));
}

#[test]
fn repeated_options_last_wins() {
    let c = Cmdline::parse(
        "init=/a init=/b abi=linux abi=native loglevel=7 loglevel=3 net=dhcp net=off \
         root=/dev/sda1 root=/dev/vda1 ktest=MM ktest",
    );
    assert_eq!(c.init, Some("/b"));
    assert_eq!(c.abi, Some(Abi::Native));
    assert_eq!(c.loglevel, Some(3));
    assert_eq!(c.net, Some(Net::Off));
    assert_eq!(c.root, Some("/dev/vda1"));
    assert_eq!(c.ktest, Some(""));
    assert_eq!(c.options().count(), 12);
}

#[test]
fn unknown_and_malformed_are_listed_in_order() {
    let line = "quiet init=/bin/x loglevel=9 foo=bar abi=win norandmaps -- quiet";
    let c = Cmdline::parse(line);
    assert_eq!(c.init, Some("/bin/x"));
    assert!(c.norandmaps);
    assert_eq!(c.loglevel, None);
    let p = problems(line);
    assert_eq!(p.len(), 4);
    assert_eq!(p[0], Problem::Unknown("quiet"));
    assert!(matches!(p[1], Problem::Malformed { word: "loglevel=9", .. }));
    assert_eq!(p[2], Problem::Unknown("foo=bar"));
    assert!(matches!(p[3], Problem::Malformed { word: "abi=win", .. }));
    assert_eq!(p[0].to_string(), "unknown option 'quiet'");
    assert!(p[3].to_string().starts_with("malformed option 'abi=win': "));
}

#[test]
fn options_print_back_canonically() {
    for word in [
        "init=/bin/a--b", "ktest", "ktest=MM,SCHED", "abi=native", "abi=linux", "root=/dev/nvme0n1p1",
        "net=dhcp", "net=off", "net=192.168.1.9/16,192.168.0.1", "loglevel=0", "norandmaps", "failslab=3", "failframe=1000000", "console=ttyS0,115200n8", "console=tty1",
    ] {
        let opt = Opt::parse(word).unwrap();
        assert_eq!(opt.to_string(), word);
        assert_eq!(Opt::parse(&opt.to_string()), Ok(opt));
    }
    assert_eq!(Opt::parse("ktest=").unwrap().to_string(), "ktest");
}

#[test]
fn odd_bytes_never_panic() {
    // Every short word over a small alphabet with the interesting bytes.
    let alphabet = ['=', ',', '/', '.', '-', '0', '9', 'a', 'é', '\u{2728}'];
    let mut count = 0;
    for a in alphabet {
        for b in alphabet {
            for c in alphabet {
                for prefix in ["", "net=", "loglevel=", "ktest=", "init="] {
                    let word = format!("{prefix}{a}{b}{c}");
                    let _ = Opt::parse(&word).map(|o| o.to_string());
                    count += items(&word).count();
                }
            }
        }
    }
    assert_eq!(count, 10 * 10 * 10 * 5);
}

#[test]
fn console_last_one_wins() {
    let c = Cmdline::parse("console=tty1 console=ttyS0,115200n8");
    assert_eq!(c.console, Some("ttyS0,115200n8"));
    assert_eq!(Cmdline::parse("init=/bin/x").console, None);
    for bad in ["console", "console=", "console=,9600"] {
        let c = Cmdline::parse(bad);
        assert_eq!(c.console, None, "{bad}");
        assert_eq!(c.problems().count(), 1, "{bad}");
    }
}
