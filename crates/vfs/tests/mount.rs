//! Mount table and resolution across mounts: crossing in on lookup, `..`
//! crossing out at a mount root, stacked and repeated mounts, unmounting,
//! chroot-style resolver roots, and getcwd through all of these.

mod common;

use common::World;
use mello_abi::Errno::*;
use vfs::{Location, Resolver};

fn world() -> World {
    let mut w = World::new();
    w.mkdir("/mnt").unwrap();
    w.write("/mnt/hidden", b"under the mount");
    w.mkdir("/a").unwrap();
    w.mkdir("/a/b").unwrap();
    w
}

#[test]
fn lookup_crosses_into_a_mount_and_dotdot_back_out() {
    let mut w = world();
    let fs = w.add_tmpfs();
    let covered = w.lookup("/mnt").unwrap();
    assert!(!w.mounts.is_mountpoint(covered));
    let id = w.mount("/mnt", fs);
    assert!(w.mounts.is_mountpoint(covered));
    assert_eq!(w.mounts.covering(covered), Some(id));
    let mnt = w.lookup("/mnt").unwrap();
    assert_eq!(
        mnt,
        Location {
            mount: id,
            ino: w.fss[fs].root()
        }
    );
    assert_eq!(w.stat("/mnt").unwrap().mode & 0o7777, 0o1777);
    assert_eq!(w.lookup("/mnt/hidden"), Err(ENOENT), "covered");
    w.mkdir("/mnt/sub").unwrap();
    w.write("/mnt/sub/f", b"on the mounted fs");
    assert_eq!(w.lookup("/mnt/sub/f").unwrap().mount, id);
    assert_eq!(w.stat("/mnt/sub/f").unwrap().dev, fs as u64 + 1);
    assert_eq!(w.lookup("/mnt/.."), Ok(w.root()));
    assert_eq!(w.lookup("/mnt/sub/../.."), Ok(w.root()));
    assert_eq!(w.lookup("/mnt/../a/b"), w.lookup("/a/b"));
    assert_eq!(w.r().resolve(mnt, b"..", true), Ok(w.root()));
    assert_eq!(
        w.r().resolve(mnt, b"../mnt/sub", true),
        w.lookup("/mnt/sub")
    );
    // The mounted filesystem's own root has ".." = itself at the fs level.
    let root_ino = w.fss[fs].root();
    assert_eq!(w.fss[fs].lookup(root_ino, b".."), Ok(root_ino));
}

#[test]
fn symlinks_inside_a_mount() {
    let mut w = world();
    let fs = w.add_tmpfs();
    w.mount("/mnt", fs);
    w.symlink("/a/b", "/mnt/abs").unwrap();
    w.symlink("../a", "/mnt/rel").unwrap();
    assert_eq!(
        w.lookup("/mnt/abs"),
        w.lookup("/a/b"),
        "absolute: from the global root"
    );
    assert_eq!(
        w.lookup("/mnt/rel/b"),
        w.lookup("/a/b"),
        "relative `..` leaves the mount"
    );
    w.symlink("/mnt", "/a/tomnt").unwrap();
    assert_eq!(
        w.lookup("/a/tomnt"),
        w.lookup("/mnt"),
        "crossing at the end of a link"
    );
}

#[test]
fn stacked_mounts_and_umount() {
    let mut w = world();
    let first = w.add_tmpfs();
    let second = w.add_tmpfs();
    let m1 = w.mount("/mnt", first);
    w.write("/mnt/one", b"1");
    let m2 = w.mount("/mnt", second);
    assert_eq!(
        w.lookup("/mnt").unwrap().mount,
        m2,
        "the newest mount is on top"
    );
    assert_eq!(w.lookup("/mnt/one"), Err(ENOENT));
    assert_eq!(w.lookup("/mnt/.."), Ok(w.root()), ".. climbs through both");
    assert_eq!(w.mounts.umount(m1).map(|_| ()), Err(EBUSY));
    assert_eq!(w.mounts.umount(0).map(|_| ()), Err(EINVAL));
    assert_eq!(w.mounts.umount(99).map(|_| ()), Err(EINVAL));
    assert_eq!(w.mounts.umount(m2).unwrap().fs, second);
    assert_eq!(w.read("/mnt/one").unwrap(), b"1");
    w.mounts.umount(m1).unwrap();
    assert_eq!(w.read("/mnt/hidden").unwrap(), b"under the mount");
    assert_eq!(w.mounts.umount(m1).map(|_| ()), Err(EINVAL));
    assert_eq!(w.mounts.mounts_of(first).count(), 0);
}

#[test]
fn nested_mounts_and_busy_parents() {
    let mut w = world();
    let outer = w.add_tmpfs();
    let inner = w.add_tmpfs();
    let mo = w.mount("/mnt", outer);
    w.mkdir("/mnt/deep").unwrap();
    let mi = w.mount("/mnt/deep", inner);
    w.mkdir("/mnt/deep/x").unwrap();
    assert_eq!(w.lookup("/mnt/deep/x").unwrap().mount, mi);
    assert_eq!(w.lookup("/mnt/deep/x/../.."), w.lookup("/mnt"));
    assert_eq!(w.lookup("/mnt/deep/x/../../.."), Ok(w.root()));
    assert_eq!(w.mounts.umount(mo).map(|_| ()), Err(EBUSY));
    assert_eq!(w.rmdir("/mnt/deep"), Err(EBUSY));
    let x = w.lookup("/mnt/deep/x").unwrap();
    assert_eq!(w.getcwd(x).unwrap(), "/mnt/deep/x");
}

#[test]
fn one_filesystem_mounted_twice() {
    let mut w = world();
    let fs = w.add_tmpfs();
    w.mount("/mnt", fs);
    w.mount("/a/b", fs);
    w.mkdir("/mnt/shared").unwrap();
    let via_mnt = w.lookup("/mnt/shared").unwrap();
    let via_b = w.lookup("/a/b/shared").unwrap();
    assert_eq!(via_mnt.ino, via_b.ino);
    assert_ne!(via_mnt.mount, via_b.mount);
    assert_eq!(w.r().resolve(via_mnt, b"../..", true), Ok(w.root()));
    assert_eq!(w.r().resolve(via_b, b"../..", true), w.lookup("/a"));
    assert_eq!(w.getcwd(via_b).unwrap(), "/a/b/shared");
    assert_eq!(w.getcwd(via_mnt).unwrap(), "/mnt/shared");
    assert_eq!(w.mounts.mounts_of(fs).count(), 2);
}

#[test]
fn getcwd_paths() {
    let mut w = world();
    let root = w.root();
    assert_eq!(w.getcwd(root).unwrap(), "/");
    let b = w.lookup("/a/b").unwrap();
    assert_eq!(w.getcwd(b).unwrap(), "/a/b");
    w.rename("/a", "/renamed").unwrap();
    assert_eq!(w.getcwd(b).unwrap(), "/renamed/b");
    let fs = w.add_tmpfs();
    w.mount("/mnt", fs);
    let mnt = w.lookup("/mnt").unwrap();
    assert_eq!(w.getcwd(mnt).unwrap(), "/mnt");
    // A removed cwd: ENOENT, as Linux's getcwd.
    w.fs(b).pin(b.ino).unwrap();
    w.rmdir("/renamed/b").unwrap();
    assert_eq!(w.getcwd(b), Err(ENOENT));
    assert_eq!(w.r().resolve(b, b"x", true), Err(ENOENT));
    assert_eq!(w.r().resolve(b, b"..", true), w.lookup("/renamed"));
}

#[test]
fn chrooted_resolver() {
    let mut w = world();
    w.mkdir("/jail").unwrap();
    w.mkdir("/jail/sub").unwrap();
    w.write("/jail/sub/f", b"inside");
    let jail = w.lookup("/jail").unwrap();
    let outside = w.lookup("/a/b").unwrap();
    let sub = w.lookup("/jail/sub").unwrap();
    let mut r = Resolver {
        mounts: &w.mounts,
        fss: &mut w.fss,
        root: jail,
    };
    assert_eq!(r.resolve(sub, b"/", true), Ok(jail));
    assert_eq!(
        r.resolve(sub, b"../../..", true),
        Ok(jail),
        "`..` stops at the root"
    );
    assert_eq!(
        r.resolve(jail, b"/sub/f", true).map(|l| l.ino),
        Ok(sub.ino + 1)
    );
    assert_eq!(r.getcwd(sub).unwrap(), b"/sub");
    assert_eq!(r.getcwd(jail).unwrap(), b"/");
    assert_eq!(r.getcwd(outside).unwrap(), b"(unreachable)/a/b");
    assert_eq!(
        r.resolve(outside, b"../..", true),
        Ok(w.mounts.root()),
        "escapes, as on Linux"
    );
}

#[test]
fn a_tmpfs_is_pinned_while_an_inode_is_open() {
    let mut w = world();
    let fs = w.add_tmpfs();
    w.mount("/mnt", fs);
    w.write("/mnt/f", b"x");
    let f = w.lookup("/mnt/f").unwrap();
    assert!(!w.fs(f).pinned(), "a fresh tmpfs is not in use");
    w.fs(f).pin(f.ino).unwrap();
    assert!(w.fs(f).pinned(), "an open file pins its tmpfs");
    w.unlink("/mnt/f").unwrap();
    assert!(w.fs(f).pinned(), "an unlinked open file still pins it");
    w.fs(f).unpin(f.ino).unwrap();
    assert!(!w.fs(f).pinned(), "the last close unpins it");
}
