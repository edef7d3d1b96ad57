//! Hard links (link counts through link, unlink and rename; `EPERM` for
//! directories, `EXDEV` across mounts), `renameat2(RENAME_NOREPLACE)`, and
//! the permission rules of `vfs::perm` (access classes, root's override,
//! umask, chown clearing set-ID bits).

mod common;

use common::World;
use mello_abi::Errno::*;
use vfs::perm::{chown_mode, create_mode, may_access, MAY_EXEC, MAY_READ, MAY_WRITE};
use vfs::{Cred, Stat, Timespec, S_IFDIR, S_IFREG};

fn link(w: &mut World, old: &str, new: &str) -> Result<(), mello_abi::Errno> {
    let (root, now) = (w.root(), w.now);
    w.r().link(root, old.as_bytes(), true, root, new.as_bytes(), now)
}

#[test]
fn hard_links_count_names() {
    let mut w = World::new();
    w.write("/f", b"data");
    link(&mut w, "/f", "/g").unwrap();
    assert_eq!(w.stat("/f").unwrap().nlink, 2);
    assert_eq!(w.stat("/g").unwrap().ino, w.stat("/f").unwrap().ino);
    assert_eq!(link(&mut w, "/f", "/g"), Err(EEXIST));
    w.mkdir("/d").unwrap();
    assert_eq!(link(&mut w, "/d", "/d2"), Err(EPERM), "no hard links to directories");
    assert_eq!(link(&mut w, "/missing", "/x"), Err(ENOENT));
    let (root, now) = (w.root(), w.now);
    w.r().unlink(root, b"/f", now).unwrap();
    assert_eq!(w.stat("/g").unwrap().nlink, 1);
    assert_eq!(w.read("/g").unwrap(), b"data");
    link(&mut w, "/g", "/d/h").unwrap();
    w.r().rename(root, b"/d/h", root, b"/h", now).unwrap();
    assert_eq!(w.stat("/h").unwrap().nlink, 2, "rename keeps the count");
}

#[test]
fn rename_noreplace() {
    let mut w = World::new();
    w.write("/a", b"a");
    w.write("/b", b"b");
    let (root, now) = (w.root(), w.now);
    assert_eq!(w.r().rename2(root, b"/a", root, b"/b", true, now), Err(EEXIST));
    assert_eq!(w.r().rename2(root, b"/nope", root, b"/b", true, now), Err(ENOENT), "the source is looked up first");
    w.r().rename2(root, b"/a", root, b"/c", true, now).unwrap();
    assert_eq!(w.read("/c").unwrap(), b"a");
    w.r().rename2(root, b"/c", root, b"/b", false, now).unwrap();
    assert_eq!(w.read("/b").unwrap(), b"a");
}

fn st(mode: u32, uid: u32, gid: u32) -> Stat {
    let t = Timespec::from_secs(0);
    Stat { dev: 0, ino: 1, mode, nlink: 1, uid, gid, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: t, mtime: t, ctime: t }
}

#[test]
fn access_classes_and_root() {
    let f = st(S_IFREG | 0o640, 10, 20);
    let owner = Cred { uid: 10, gid: 99 };
    let member = Cred { uid: 11, gid: 20 };
    let other = Cred { uid: 12, gid: 30 };
    assert_eq!(may_access(&f, owner, MAY_READ | MAY_WRITE), Ok(()));
    assert_eq!(may_access(&f, owner, MAY_EXEC), Err(EACCES));
    assert_eq!(may_access(&f, member, MAY_READ), Ok(()));
    assert_eq!(may_access(&f, member, MAY_WRITE), Err(EACCES));
    assert_eq!(may_access(&f, other, MAY_READ), Err(EACCES));
    assert_eq!(may_access(&f, other, 0), Ok(()), "F_OK needs nothing");
    // Root reads and writes anything, executes only with some x bit.
    assert_eq!(may_access(&st(S_IFREG, 10, 20), Cred::ROOT, MAY_READ | MAY_WRITE), Ok(()));
    assert_eq!(may_access(&st(S_IFREG | 0o644, 0, 0), Cred::ROOT, MAY_EXEC), Err(EACCES));
    assert_eq!(may_access(&st(S_IFREG | 0o001, 5, 5), Cred::ROOT, MAY_EXEC), Ok(()));
    assert_eq!(may_access(&st(S_IFDIR, 5, 5), Cred::ROOT, MAY_EXEC), Ok(()), "directories are searchable");
}

#[test]
fn umask_and_chown_modes() {
    assert_eq!(create_mode(0o666, 0o022), 0o644);
    assert_eq!(create_mode(0o777, 0o077), 0o700);
    assert_eq!(create_mode(0o104777, 0), 0o4777, "type bits dropped, set-ID kept");
    assert_eq!(chown_mode(0o4755, false), 0o755);
    assert_eq!(chown_mode(0o2755, false), 0o755, "setgid with group-exec goes");
    assert_eq!(chown_mode(0o2745, false), 0o2745, "setgid without group-exec stays");
    assert_eq!(chown_mode(0o6755, true), 0o6755, "directories keep theirs");
}
