//! readdir: `.` and `..` first, then creation order; entry types; cookies
//! that survive deletions and additions between calls.

mod common;

use common::{t, World};
use std::collections::BTreeSet;
use vfs::tmpfs::ROOT_INO;
use vfs::*;

#[test]
fn dot_entries_then_creation_order() {
    let mut w = World::new();
    w.mkdir("/d").unwrap();
    for name in ["zeta", "alpha", "mid"] {
        w.touch(&format!("/d/{name}")).unwrap();
    }
    assert_eq!(w.ls("/d").unwrap(), [".", "..", "zeta", "alpha", "mid"]);
    assert_eq!(w.ls("/").unwrap(), [".", "..", "d"]);
}

#[test]
fn entry_fields() {
    let mut fs = Tmpfs::new(1, 0o755, Cred::ROOT, t(1));
    let c = Cred::ROOT;
    let d = fs.mkdir(ROOT_INO, b"d", 0o755, c, t(1)).unwrap();
    let f = fs.create(d, b"f", S_IFREG | 0o644, 0, c, t(1)).unwrap();
    let l = fs.symlink(d, b"l", b"f", c, t(1)).unwrap();
    let p = fs.create(d, b"p", S_IFIFO | 0o644, 0, c, t(1)).unwrap();
    let mut got = Vec::new();
    let mut cookie = 0;
    while let Some(e) = fs.readdir(d, cookie, t(2)).unwrap() {
        got.push((e.name.clone(), e.ino, e.ftype, e.ftype.dt()));
        cookie = e.next;
    }
    assert_eq!(
        got,
        [
            (b".".to_vec(), d, FileType::Directory, 4),
            (b"..".to_vec(), ROOT_INO, FileType::Directory, 4),
            (b"f".to_vec(), f, FileType::Regular, 8),
            (b"l".to_vec(), l, FileType::Symlink, 10),
            (b"p".to_vec(), p, FileType::Fifo, 1),
        ]
    );
    // The root's ".." is itself.
    let dotdot = fs.readdir(ROOT_INO, 1, t(2)).unwrap().unwrap();
    assert_eq!((dotdot.name, dotdot.ino), (b"..".to_vec(), ROOT_INO));
    // Past the end, and repeatably so.
    assert_eq!(fs.readdir(d, cookie, t(2)), Ok(None));
    assert_eq!(fs.readdir(d, cookie + 100, t(2)), Ok(None));
}

#[test]
fn deletions_during_listing_skip_nothing_and_repeat_nothing() {
    let mut fs = Tmpfs::new(1, 0o755, Cred::ROOT, t(1));
    let c = Cred::ROOT;
    let names: Vec<String> = (0..50).map(|i| format!("file{i:02}")).collect();
    for name in &names {
        fs.create(ROOT_INO, name.as_bytes(), S_IFREG | 0o644, 0, c, t(1))
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut removed = BTreeSet::new();
    let mut cookie = 0;
    let mut step = 0;
    while let Some(e) = fs.readdir(ROOT_INO, cookie, t(2)).unwrap() {
        seen.push(String::from_utf8(e.name).unwrap());
        cookie = e.next;
        step += 1;
        // Every third step, delete the entry just returned and one not yet
        // returned; every fifth, add a new one.
        if step % 3 == 0 && step < 45 {
            let last = seen.last().unwrap().clone();
            if last.starts_with("file") {
                fs.unlink(ROOT_INO, last.as_bytes(), t(3)).unwrap();
            }
            let ahead = format!("file{:02}", 49 - step / 3);
            if !seen.contains(&ahead) && fs.unlink(ROOT_INO, ahead.as_bytes(), t(3)).is_ok() {
                removed.insert(ahead);
            }
        }
        if step % 5 == 0 {
            fs.create(
                ROOT_INO,
                format!("new{step}").as_bytes(),
                S_IFREG,
                0,
                c,
                t(3),
            )
            .unwrap();
        }
    }
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no entry twice: {seen:?}");
    assert!(removed.len() > 5);
    for name in &names {
        assert_eq!(seen.contains(name), !removed.contains(name), "{name}");
    }
    assert!(
        seen.iter().any(|n| n.starts_with("new")),
        "later additions show up"
    );
    assert_eq!(&seen[..2], [".", ".."]);
}

#[test]
fn removing_everything_then_continuing() {
    let mut w = World::new();
    for name in ["a", "b", "c"] {
        w.touch(&format!("/{name}")).unwrap();
    }
    let root = w.root();
    let first = w.fs(root).readdir(root.ino, 2, t(2)).unwrap().unwrap();
    assert_eq!(first.name, b"a");
    for name in ["a", "b", "c"] {
        w.unlink(&format!("/{name}")).unwrap();
    }
    assert_eq!(w.fs(root).readdir(root.ino, first.next, t(2)), Ok(None));
    w.touch("/d").unwrap();
    let e = w
        .fs(root)
        .readdir(root.ino, first.next, t(2))
        .unwrap()
        .unwrap();
    assert_eq!(e.name, b"d", "entries added later come after the cookie");
}

#[test]
fn renamed_entry_moves_to_the_end() {
    let mut w = World::new();
    for name in ["a", "b", "c"] {
        w.touch(&format!("/{name}")).unwrap();
    }
    w.rename("/a", "/z").unwrap();
    assert_eq!(w.ls("/").unwrap(), [".", "..", "b", "c", "z"]);
}
