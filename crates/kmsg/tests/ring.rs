//! Host tests of the kernel log ring: record round trip, eviction of whole
//! records, Linux's syslog text format, READ_ALL's "newest that fit", and
//! the continuing reader.

use kmsg::{level, Ring, MAX_TEXT};

fn all(r: &Ring<4096>) -> String {
    let mut buf = vec![0u8; 1 << 16];
    let n = r.read_all(&mut buf);
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

#[test]
fn format_is_linux_syslog() {
    let mut r: Ring<4096> = Ring::new();
    r.push(level::INFO, 1_234_567, b"[MM] hello");
    r.push(level::DEBUG, 123_000_000_001, b"x");
    assert_eq!(all(&r), "<6>[    1.234567] [MM] hello\n<7>[123000.000001] x\n");
    let rec = r.iter().next().unwrap();
    assert_eq!(rec.formatted_len(), "<6>[    1.234567] [MM] hello\n".len());
}

#[test]
fn sequence_numbers_and_levels() {
    let mut r: Ring<4096> = Ring::new();
    assert!(r.is_empty());
    for i in 0..5u64 {
        assert_eq!(r.push(9, i, b"t"), i);
    }
    assert_eq!(r.len(), 5);
    assert!(r.iter().all(|rec| rec.level == 7), "levels are clamped to 7");
    assert_eq!(r.iter().map(|rec| rec.seq).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn oldest_records_are_dropped_whole() {
    let mut r: Ring<4096> = Ring::new();
    for i in 0..1000u64 {
        let text = format!("line {i:04} {}", "x".repeat((i % 37) as usize));
        r.push(level::INFO, i, text.as_bytes());
    }
    let recs: Vec<_> = r.iter().collect();
    assert!(recs.len() > 10 && recs.len() < 1000);
    // Contiguous, ending at the last one, each intact.
    for (k, rec) in recs.iter().enumerate() {
        let i = 1000 - recs.len() as u64 + k as u64;
        assert_eq!(rec.seq, i);
        let want = format!("line {i:04} {}", "x".repeat((i % 37) as usize));
        assert!(rec.text_eq(want.as_bytes()), "record {i} torn");
    }
}

#[test]
fn long_text_is_cut_and_wraps_the_buffer() {
    let mut r: Ring<4096> = Ring::new();
    let long = vec![b'a'; MAX_TEXT + 500];
    for _ in 0..7 {
        r.push(level::INFO, 0, &long);
    }
    let rec = r.iter().last().unwrap();
    assert_eq!(rec.text_len(), MAX_TEXT);
    let mut out = vec![0u8; 2000];
    assert_eq!(rec.text_into(&mut out), MAX_TEXT);
    assert!(out[..MAX_TEXT].iter().all(|&b| b == b'a'));
}

#[test]
fn read_all_keeps_the_newest_that_fit() {
    let mut r: Ring<4096> = Ring::new();
    for i in 0..10u64 {
        r.push(level::INFO, 0, format!("m{i}").as_bytes());
    }
    let line = "<6>[    0.000000] m0\n".len();
    let mut small = vec![0u8; 3 * line + 5];
    let n = r.read_all(&mut small);
    assert_eq!(std::str::from_utf8(&small[..n]).unwrap(), "<6>[    0.000000] m7\n<6>[    0.000000] m8\n<6>[    0.000000] m9\n");
    let mut none = [0u8; 4];
    assert_eq!(r.read_all(&mut none), 0);
}

#[test]
fn read_from_continues() {
    let mut r: Ring<4096> = Ring::new();
    r.push(level::INFO, 0, b"a");
    r.push(level::INFO, 0, b"b");
    let mut out = [0u8; 64];
    let (n, next) = r.read_from(0, &mut out);
    assert_eq!(&out[..n], b"<6>[    0.000000] a\n<6>[    0.000000] b\n");
    assert_eq!(next, 2);
    r.push(level::INFO, 0, b"c");
    let (n, next) = r.read_from(next, &mut out);
    assert_eq!(&out[..n], b"<6>[    0.000000] c\n");
    assert_eq!(next, 3);
    assert_eq!(r.read_from(next, &mut out).0, 0);
}
