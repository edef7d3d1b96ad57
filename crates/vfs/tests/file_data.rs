//! Regular-file data in tmpfs: sparse pages and holes, `blocks`, reads at
//! and past the end, truncation down and up, size limits, wrong types.

mod common;

use common::t;
use mello_abi::Errno::*;
use vfs::tmpfs::{PAGE_SIZE, ROOT_INO};
use vfs::*;

const P: u64 = PAGE_SIZE as u64;

fn setup() -> (Tmpfs, Ino) {
    let mut fs = Tmpfs::new(1, 0o755, Cred::ROOT, t(1));
    let f = fs
        .create(ROOT_INO, b"f", S_IFREG | 0o644, 0, Cred::ROOT, t(1))
        .unwrap();
    (fs, f)
}

fn read_at(fs: &mut Tmpfs, f: Ino, offset: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0xAA; len];
    let n = fs.read(f, offset, &mut buf, t(2)).unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn empty_file() {
    let (mut fs, f) = setup();
    let st = fs.getattr(f).unwrap();
    assert_eq!((st.size, st.blocks, st.nlink, st.blksize), (0, 0, 1, 4096));
    assert_eq!(read_at(&mut fs, f, 0, 10), b"");
    assert_eq!(fs.write(f, 0, b"", t(2)), Ok(0));
}

#[test]
fn write_then_read_back() {
    let (mut fs, f) = setup();
    assert_eq!(fs.write(f, 0, b"hello world", t(2)), Ok(11));
    assert_eq!(read_at(&mut fs, f, 0, 100), b"hello world");
    assert_eq!(read_at(&mut fs, f, 6, 3), b"wor");
    assert_eq!(read_at(&mut fs, f, 11, 3), b"");
    assert_eq!(read_at(&mut fs, f, 1 << 40, 3), b"");
    assert_eq!(fs.write(f, 6, b"W", t(2)), Ok(1));
    assert_eq!(read_at(&mut fs, f, 0, 100), b"hello World");
    let st = fs.getattr(f).unwrap();
    assert_eq!((st.size, st.blocks), (11, 8));
}

#[test]
fn holes_read_as_zeros_and_take_no_blocks() {
    let (mut fs, f) = setup();
    fs.write(f, 10 * P + 5, b"end", t(2)).unwrap();
    let st = fs.getattr(f).unwrap();
    assert_eq!((st.size, st.blocks), (10 * P + 8, 8), "one page allocated");
    let data = read_at(&mut fs, f, 0, (10 * P + 8) as usize);
    assert!(data[..(10 * P + 5) as usize].iter().all(|&b| b == 0));
    assert_eq!(&data[(10 * P + 5) as usize..], b"end");
    fs.write(f, 0, b"a", t(2)).unwrap();
    assert_eq!(fs.getattr(f).unwrap().blocks, 16);
}

#[test]
fn write_spanning_pages() {
    let (mut fs, f) = setup();
    let data: Vec<u8> = (0..3 * PAGE_SIZE + 100).map(|i| (i % 251) as u8).collect();
    assert_eq!(fs.write(f, P - 50, &data, t(2)), Ok(data.len()));
    assert_eq!(fs.getattr(f).unwrap().blocks, 5 * 8);
    assert_eq!(read_at(&mut fs, f, P - 50, data.len()), data);
    assert_eq!(read_at(&mut fs, f, 0, 10), vec![0; 10]);
}

#[test]
fn truncate_down_frees_pages_and_zeroes_tail() {
    let (mut fs, f) = setup();
    fs.write(f, 0, &vec![b'x'; 3 * PAGE_SIZE], t(2)).unwrap();
    fs.truncate(f, P + 10, t(3)).unwrap();
    let st = fs.getattr(f).unwrap();
    assert_eq!((st.size, st.blocks), (P + 10, 16));
    assert_eq!(read_at(&mut fs, f, P, 100), vec![b'x'; 10]);
    // Growing again shows zeros where the old data was cut off.
    fs.truncate(f, 3 * P, t(4)).unwrap();
    let st = fs.getattr(f).unwrap();
    assert_eq!(
        (st.size, st.blocks),
        (3 * P, 16),
        "growing allocates nothing"
    );
    let tail = read_at(&mut fs, f, P + 10, (2 * P - 10) as usize);
    assert!(tail.iter().all(|&b| b == 0));
    fs.truncate(f, 0, t(5)).unwrap();
    let st = fs.getattr(f).unwrap();
    assert_eq!((st.size, st.blocks), (0, 0));
}

#[test]
fn truncate_to_page_boundary() {
    let (mut fs, f) = setup();
    fs.write(f, 0, &vec![1; 2 * PAGE_SIZE], t(2)).unwrap();
    fs.truncate(f, P, t(3)).unwrap();
    assert_eq!(fs.getattr(f).unwrap().blocks, 8);
    fs.write(f, 2 * P - 1, b"z", t(4)).unwrap();
    let data = read_at(&mut fs, f, P, PAGE_SIZE);
    assert!(data[..PAGE_SIZE - 1].iter().all(|&b| b == 0));
    assert_eq!(data[PAGE_SIZE - 1], b'z');
}

#[test]
fn sparse_file_made_by_truncate() {
    let (mut fs, f) = setup();
    fs.truncate(f, 1 << 30, t(2)).unwrap();
    let st = fs.getattr(f).unwrap();
    assert_eq!((st.size, st.blocks), (1 << 30, 0));
    assert_eq!(read_at(&mut fs, f, (1 << 30) - 4, 8), vec![0; 4]);
}

#[test]
fn size_limits() {
    let (mut fs, f) = setup();
    assert_eq!(fs.truncate(f, MAX_FILE_SIZE + 1, t(2)), Err(EFBIG));
    assert_eq!(fs.write(f, MAX_FILE_SIZE, b"x", t(2)), Err(EFBIG));
    assert_eq!(
        fs.write(f, MAX_FILE_SIZE - 2, b"xyz", t(2)),
        Ok(2),
        "short write at the limit"
    );
    assert_eq!(fs.getattr(f).unwrap().size, MAX_FILE_SIZE);
}

#[test]
fn wrong_types() {
    let (mut fs, _) = setup();
    let d = fs.mkdir(ROOT_INO, b"d", 0o755, Cred::ROOT, t(2)).unwrap();
    let l = fs.symlink(ROOT_INO, b"l", b"f", Cred::ROOT, t(2)).unwrap();
    assert_eq!(fs.read(d, 0, &mut [0; 4], t(3)), Err(EISDIR));
    assert_eq!(fs.write(d, 0, b"x", t(3)), Err(EISDIR));
    assert_eq!(fs.truncate(d, 0, t(3)), Err(EISDIR));
    assert_eq!(fs.read(l, 0, &mut [0; 4], t(3)), Err(EINVAL));
    assert_eq!(fs.write(l, 0, b"x", t(3)), Err(EINVAL));
    assert_eq!(fs.truncate(l, 0, t(3)), Err(EINVAL));
    assert_eq!(fs.readdir(l, 0, t(3)), Err(ENOTDIR));
    assert_eq!(fs.getattr(999), Err(ENOENT));
    assert_eq!(fs.write(999, 0, b"x", t(3)), Err(ENOENT));
}

#[test]
fn hard_links_share_data() {
    let (mut fs, f) = setup();
    fs.link(f, ROOT_INO, b"g", t(2)).unwrap();
    let g = fs.lookup(ROOT_INO, b"g").unwrap();
    fs.write(g, 0, b"shared", t(3)).unwrap();
    assert_eq!(read_at(&mut fs, f, 0, 10), b"shared");
}

#[test]
fn read_append_matches_read_over_data_and_holes() {
    let (mut fs, f) = setup();
    // Data in pages 0 and 2 (page 1 a hole), the last page partial.
    let a: Vec<u8> = (0..P + 100).map(|i| i as u8).collect();
    assert_eq!(fs.write(f, 0, &a, t(2)), Ok(a.len()));
    assert_eq!(fs.write(f, 2 * P + 7, b"tail", t(2)), Ok(4));
    let size = 2 * P + 11;
    for (offset, len) in [(0, size as usize), (5, 3 * P as usize), (P + 50, 2 * P as usize), (size, 10), (size + 3, 1)] {
        let mut out = b"prefix".to_vec();
        out.reserve(len);
        let n = fs.read_append(f, offset, len, &mut out, t(3)).unwrap();
        assert_eq!(&out[..6], b"prefix");
        assert_eq!(out[6..], read_at(&mut fs, f, offset, len)[..], "offset {offset} len {len}");
        assert_eq!(n, out.len() - 6);
    }
    assert_eq!(fs.read_append(ROOT_INO, 0, 1, &mut Vec::new(), t(3)), Err(EISDIR));
}
