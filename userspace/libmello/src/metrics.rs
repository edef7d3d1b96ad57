//! The kernel's resource counters: the `res.NAME VALUE` lines of
//! `/proc/mellos/metrics` (free frames, kernel page tables, free kernel
//! heap, live kernel stacks, open files, processes), which leak checks
//! read before and after a run. [`parse`] is the pure part; [`stable`]
//! and [`settle`] wait out what an exit frees a moment late (a kernel
//! stack goes after its task's last switch).

use crate::abi::fs::O_RDONLY;

/// The values of the `res.` counters `names` (without the prefix) in
/// `text`, in that order; `None` if one is missing.
pub fn parse<const N: usize>(text: &[u8], names: &[&str; N]) -> Option<[i64; N]> {
    let mut out = [None; N];
    for line in text.split(|&b| b == b'\n') {
        let Some(rest) = line.strip_prefix(b"res.") else { continue };
        let mut it = rest.split(|&b| b == b' ');
        let (Some(name), Some(val)) = (it.next(), it.next()) else { continue };
        let val = core::str::from_utf8(val).ok().and_then(|v| v.trim().parse().ok());
        if let (Some(i), Some(v)) = (names.iter().position(|n| n.as_bytes() == name), val) {
            out[i] = Some(v);
        }
    }
    let mut values = [0; N];
    for (v, o) in values.iter_mut().zip(out) {
        *v = o?;
    }
    Some(values)
}

/// Reads `/proc/mellos/metrics` and [`parse`]s it.
pub fn read<const N: usize>(names: &[&str; N]) -> Option<[i64; N]> {
    let fd = crate::fs::open(c"/proc/mellos/metrics", O_RDONLY, 0).ok()?;
    // The whole text in one read: procfs generates it anew for every read,
    // so a text read in pieces joins two moments (a counter that gained a
    // digit in between shifts the rest, and a `res.` line comes out torn).
    let mut text = alloc::vec![0u8; 16 * 1024];
    let mut len = 0;
    while let Ok(n @ 1..) = crate::fs::read(fd, &mut text[len..]) {
        len += n;
    }
    text.truncate(len);
    let _ = crate::fs::close(fd);
    parse(&text, names)
}

/// The counters once two readings `ticks` apart agree (at most 40 tries).
pub fn stable<const N: usize>(names: &[&str; N], ticks: usize) -> Option<[i64; N]> {
    let mut last = read(names)?;
    for _ in 0..40 {
        let _ = crate::sleep(ticks);
        let now = read(names)?;
        if now == last {
            return Some(now);
        }
        last = now;
    }
    Some(last)
}

/// Polls the counters every 5 ticks until they equal `base` or about
/// `ticks` ticks passed; the last reading.
pub fn settle<const N: usize>(names: &[&str; N], base: &[i64; N], ticks: usize) -> Option<[i64; N]> {
    let mut now = read(names)?;
    for _ in 0..ticks / 5 {
        if now == *base {
            break;
        }
        let _ = crate::sleep(5);
        now = read(names)?;
    }
    Some(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_named_counters_in_order() {
        let text = b"uptime 12\nres.free_frames 1000\nres.kstacks 7\nres.heap_free -1\n";
        assert_eq!(parse(text, &["kstacks", "free_frames", "heap_free"]), Some([7, 1000, -1]));
        assert_eq!(parse(text, &["kstacks", "processes"]), None);
        assert_eq!(parse(b"res.kstacks x\n", &["kstacks"]), None);
    }
}
