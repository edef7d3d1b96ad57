//! rename(2) semantics: replacing files and empty directories, the
//! ENOTEMPTY/ENOTDIR/EISDIR/EINVAL/EBUSY/EXDEV cases in Linux's order,
//! same-inode no-ops, link counts and sizes after moves, trailing slashes.

mod common;

use common::{t, World};
use mello_abi::Errno::*;

fn world() -> World {
    let mut w = World::new();
    w.mkdir("/a").unwrap();
    w.mkdir("/a/sub").unwrap();
    w.mkdir("/empty").unwrap();
    w.mkdir("/full").unwrap();
    w.write("/full/x", b"x");
    w.write("/f", b"file f");
    w.write("/g", b"file g");
    w
}

#[test]
fn file_over_file_replaces_it() {
    let mut w = world();
    let g = w.lookup("/g").unwrap();
    w.fs(g).pin(g.ino).unwrap();
    w.rename("/f", "/g").unwrap();
    assert_eq!(w.read("/g").unwrap(), b"file f");
    assert_eq!(w.lookup("/f"), Err(ENOENT));
    // The replaced file is unlinked but still open.
    let st = w.fs(g).getattr(g.ino).unwrap();
    assert_eq!(st.nlink, 0);
    w.fs(g).unpin(g.ino).unwrap();
    assert_eq!(w.fs(g).getattr(g.ino), Err(ENOENT));
}

#[test]
fn directory_over_empty_directory() {
    let mut w = world();
    let root_links = w.stat("/").unwrap().nlink;
    w.rename("/a", "/empty").unwrap();
    assert!(w.stat("/empty/sub").unwrap().is_dir());
    assert_eq!(w.lookup("/a"), Err(ENOENT));
    assert_eq!(w.stat("/").unwrap().nlink, root_links - 1);
    assert_eq!(w.stat("/empty").unwrap().nlink, 3);
}

#[test]
fn type_and_emptiness_errors() {
    let mut w = world();
    assert_eq!(w.rename("/a", "/full"), Err(ENOTEMPTY));
    assert_eq!(w.rename("/f", "/empty"), Err(EISDIR));
    assert_eq!(w.rename("/a", "/f"), Err(ENOTDIR));
    assert_eq!(w.rename("/missing", "/x"), Err(ENOENT));
    assert_eq!(w.rename("/f", "/missing/x"), Err(ENOENT));
    assert_eq!(w.rename("/f", "/g/x"), Err(ENOTDIR));
    // Nothing changed.
    assert_eq!(w.read("/f").unwrap(), b"file f");
    assert!(w.stat("/full/x").is_ok());
}

#[test]
fn directory_into_its_own_subtree() {
    let mut w = world();
    assert_eq!(w.rename("/a", "/a/sub/x"), Err(EINVAL));
    assert_eq!(w.rename("/a", "/a/x"), Err(EINVAL));
    // Target an ancestor of the source: ENOTEMPTY (lock_rename's trap),
    // even before the file-over-directory check.
    assert_eq!(w.rename("/a/sub", "/a"), Err(ENOTEMPTY));
    assert_eq!(w.rename("/full/x", "/full"), Err(ENOTEMPTY));
}

#[test]
fn same_inode_is_a_no_op() {
    let mut w = world();
    w.link("/f", "/a/f2").unwrap();
    w.now = t(50);
    w.rename("/f", "/a/f2").unwrap();
    assert!(w.lookup("/f").is_ok(), "both names stay, as on Linux");
    assert_eq!(w.stat("/f").unwrap().nlink, 2);
    assert_eq!(w.stat("/").unwrap().mtime, t(1), "no timestamps change");
    w.rename("/a", "/a").unwrap();
    w.rename("/f", "/f").unwrap();
}

#[test]
fn dot_names_are_busy() {
    let mut w = world();
    assert_eq!(w.rename("/a/.", "/b"), Err(EBUSY));
    assert_eq!(w.rename("/a/..", "/b"), Err(EBUSY));
    assert_eq!(w.rename("/f", "/a/."), Err(EBUSY));
    assert_eq!(w.rename("/", "/b"), Err(EBUSY));
    assert_eq!(w.rename("/f", "/"), Err(EBUSY));
}

#[test]
fn moves_between_directories() {
    let mut w = world();
    w.now = t(9);
    w.rename("/a/sub", "/full/sub").unwrap();
    assert_eq!(w.stat("/a").unwrap().nlink, 2);
    assert_eq!(w.stat("/full").unwrap().nlink, 3);
    assert_eq!(w.stat("/a").unwrap().size, 40);
    assert_eq!(w.stat("/full").unwrap().size, 80);
    assert_eq!(
        w.stat("/full/sub/..").unwrap().ino,
        w.stat("/full").unwrap().ino
    );
    for dir in ["/a", "/full"] {
        let st = w.stat(dir).unwrap();
        assert_eq!((st.mtime, st.ctime), (t(9), t(9)), "{dir}");
    }
    assert_eq!(w.stat("/full/sub").unwrap().ctime, t(9));
    assert_eq!(w.stat("/full/sub").unwrap().mtime, t(1));
    w.rename("/f", "/full/sub/f").unwrap();
    assert_eq!(w.read("/full/sub/f").unwrap(), b"file f");
}

#[test]
fn rename_within_directory_keeps_link_counts() {
    let mut w = world();
    w.rename("/a/sub", "/a/other").unwrap();
    assert_eq!(w.stat("/a").unwrap().nlink, 3);
    assert_eq!(w.ls("/a").unwrap(), [".", "..", "other"]);
    w.mkdir("/a/victim").unwrap();
    w.rename("/a/other", "/a/victim").unwrap();
    assert_eq!(w.stat("/a").unwrap().nlink, 3);
    assert_eq!(w.ls("/a").unwrap(), [".", "..", "victim"]);
}

#[test]
fn trailing_slashes() {
    let mut w = world();
    assert_eq!(w.rename("/f/", "/h"), Err(ENOTDIR));
    assert_eq!(w.rename("/f", "/h/"), Err(ENOTDIR));
    w.rename("/a/", "/b/").unwrap();
    assert!(w.stat("/b/sub").is_ok());
}

#[test]
fn mount_points_and_other_mounts() {
    let mut w = world();
    let fs = w.add_tmpfs();
    w.mount("/empty", fs);
    w.write("/empty/inside", b"i");
    assert_eq!(w.rename("/f", "/empty/f"), Err(EXDEV));
    assert_eq!(w.rename("/empty/inside", "/inside"), Err(EXDEV));
    assert_eq!(w.rename("/empty", "/moved"), Err(EBUSY));
    assert_eq!(w.rename("/a", "/empty"), Err(EBUSY));
    assert_eq!(w.rename("/f", "/empty"), Err(EISDIR));
    assert_eq!(w.rmdir("/empty"), Err(EBUSY));
    assert_eq!(w.link("/f", "/empty/f"), Err(EXDEV));
    w.rename("/empty/inside", "/empty/renamed").unwrap();
    assert_eq!(w.read("/empty/renamed").unwrap(), b"i");
}
