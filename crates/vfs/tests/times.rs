//! Timestamps, as POSIX and Linux tmpfs update them: creation, writes,
//! truncation, links, unlinks, setattr, and relatime on reads.

mod common;

use common::t;
use vfs::tmpfs::ROOT_INO;
use vfs::*;

const R: Ino = ROOT_INO;

fn times(fs: &mut Tmpfs, ino: Ino) -> (i64, i64, i64) {
    let st = fs.getattr(ino).unwrap();
    (st.atime.sec, st.mtime.sec, st.ctime.sec)
}

fn fs() -> Tmpfs {
    Tmpfs::new(1, 0o755, Cred::ROOT, t(1))
}

#[test]
fn create_sets_all_times_and_parent_mtime_ctime() {
    let mut fs = fs();
    let d = fs.mkdir(R, b"d", 0o755, Cred::ROOT, t(10)).unwrap();
    assert_eq!(times(&mut fs, d), (10, 10, 10));
    assert_eq!(times(&mut fs, R), (1, 10, 10));
    let f = fs
        .create(d, b"f", S_IFREG | 0o644, 0, Cred::ROOT, t(20))
        .unwrap();
    assert_eq!(times(&mut fs, f), (20, 20, 20));
    assert_eq!(times(&mut fs, d), (10, 20, 20));
    assert_eq!(times(&mut fs, R), (1, 10, 10), "grandparent untouched");
    fs.symlink(d, b"l", b"f", Cred::ROOT, t(30)).unwrap();
    assert_eq!(times(&mut fs, d), (10, 30, 30));
}

#[test]
fn write_and_truncate_update_mtime_ctime() {
    let mut fs = fs();
    let f = fs
        .create(R, b"f", S_IFREG | 0o644, 0, Cred::ROOT, t(10))
        .unwrap();
    fs.write(f, 0, b"abc", t(20)).unwrap();
    assert_eq!(times(&mut fs, f), (10, 20, 20));
    fs.write(f, 0, b"", t(25)).unwrap();
    assert_eq!(
        times(&mut fs, f),
        (10, 20, 20),
        "an empty write changes nothing"
    );
    fs.truncate(f, 1, t(30)).unwrap();
    assert_eq!(times(&mut fs, f), (10, 30, 30));
    fs.truncate(f, 1, t(40)).unwrap();
    assert_eq!(
        times(&mut fs, f),
        (10, 40, 40),
        "Linux truncate updates even at the same size"
    );
    assert_eq!(
        times(&mut fs, R),
        (1, 10, 10),
        "file data changes leave the directory alone"
    );
}

#[test]
fn link_unlink_update_inode_ctime_and_directory() {
    let mut fs = fs();
    let f = fs
        .create(R, b"f", S_IFREG | 0o644, 0, Cred::ROOT, t(10))
        .unwrap();
    fs.link(f, R, b"g", t(20)).unwrap();
    assert_eq!(times(&mut fs, f), (10, 10, 20));
    assert_eq!(times(&mut fs, R), (1, 20, 20));
    fs.unlink(R, b"g", t(30)).unwrap();
    assert_eq!(times(&mut fs, f), (10, 10, 30));
    assert_eq!(times(&mut fs, R), (1, 30, 30));
    let d = fs.mkdir(R, b"d", 0o755, Cred::ROOT, t(40)).unwrap();
    fs.rmdir(R, b"d", t(50)).unwrap();
    assert_eq!(times(&mut fs, R), (1, 50, 50));
    assert_eq!(fs.getattr(d).map(|_| ()), Err(mello_abi::Errno::ENOENT));
}

#[test]
fn rename_updates_both_directories_and_the_inode_ctime() {
    let mut fs = fs();
    let a = fs.mkdir(R, b"a", 0o755, Cred::ROOT, t(10)).unwrap();
    let b = fs.mkdir(R, b"b", 0o755, Cred::ROOT, t(10)).unwrap();
    let f = fs
        .create(a, b"f", S_IFREG | 0o644, 0, Cred::ROOT, t(10))
        .unwrap();
    let victim = fs
        .create(b, b"v", S_IFREG | 0o644, 0, Cred::ROOT, t(10))
        .unwrap();
    fs.pin(victim).unwrap();
    fs.rename(a, b"f", b, b"v", t(20)).unwrap();
    assert_eq!(times(&mut fs, a), (10, 20, 20));
    assert_eq!(times(&mut fs, b), (10, 20, 20));
    assert_eq!(times(&mut fs, f), (10, 10, 20));
    assert_eq!(
        times(&mut fs, victim),
        (10, 10, 20),
        "replaced inode's ctime too"
    );
    assert_eq!(times(&mut fs, R), (1, 10, 10));
}

#[test]
fn setattr_sets_ctime_and_given_times() {
    let mut fs = fs();
    let f = fs
        .create(R, b"f", S_IFREG | 0o644, 0, Cred::ROOT, t(10))
        .unwrap();
    let st = fs
        .setattr(
            f,
            &SetAttr {
                mode: Some(0o600),
                ..SetAttr::default()
            },
            t(20),
        )
        .unwrap();
    assert_eq!(
        (st.mode, st.ctime, st.mtime),
        (S_IFREG | 0o600, t(20), t(10))
    );
    let at = Timespec { sec: 5, nsec: 123 };
    let attr = SetAttr {
        atime: Some(at),
        mtime: Some(t(6)),
        ..SetAttr::default()
    };
    fs.setattr(f, &attr, t(30)).unwrap();
    let st = fs.getattr(f).unwrap();
    assert_eq!((st.atime, st.mtime, st.ctime), (at, t(6), t(30)));
    let attr = SetAttr {
        uid: Some(5),
        gid: Some(6),
        mode: Some(0o170644),
        ..SetAttr::default()
    };
    let st = fs.setattr(f, &attr, t(40)).unwrap();
    assert_eq!(
        (st.uid, st.gid, st.mode),
        (5, 6, S_IFREG | 0o644),
        "type bits kept"
    );
}

#[test]
fn reads_follow_relatime() {
    let mut fs = fs();
    let f = fs
        .create(R, b"f", S_IFREG | 0o644, 0, Cred::ROOT, t(10))
        .unwrap();
    fs.write(f, 0, b"x", t(10)).unwrap();
    let mut buf = [0; 1];
    fs.read(f, 0, &mut [], t(15)).unwrap();
    assert_eq!(
        times(&mut fs, f),
        (10, 10, 10),
        "an empty read touches nothing"
    );
    fs.read(f, 0, &mut buf, t(20)).unwrap();
    assert_eq!(times(&mut fs, f), (20, 10, 10), "atime <= mtime: updated");
    fs.read(f, 0, &mut buf, t(30)).unwrap();
    assert_eq!(
        times(&mut fs, f),
        (20, 10, 10),
        "atime newer than mtime/ctime: kept"
    );
    fs.read(f, 0, &mut buf, t(20 + 86_400)).unwrap();
    assert_eq!(times(&mut fs, f).0, 20 + 86_400, "a day old: updated");
    fs.write(f, 0, b"y", t(100_000)).unwrap();
    fs.read(f, 0, &mut buf, t(100_001)).unwrap();
    assert_eq!(times(&mut fs, f).0, 100_001, "modified since: updated");
}

#[test]
fn readdir_follows_relatime() {
    let mut fs = fs();
    fs.create(R, b"f", S_IFREG | 0o644, 0, Cred::ROOT, t(10))
        .unwrap();
    fs.readdir(R, 0, t(20)).unwrap();
    assert_eq!(times(&mut fs, R), (20, 10, 10));
    assert!(relatime_due(t(5), t(5), t(1), t(6)));
    assert!(!relatime_due(t(6), t(5), t(5), t(7)));
}
