//! resolve_parent and the path-level operations: Linux's errors for `.`,
//! `..`, `/` and trailing slashes in mkdir/mknod/unlink/rmdir/link, and
//! open(O_CREAT) through symlinks.

mod common;

use common::World;
use mello_abi::Errno::*;
use vfs::{CreateFlags, Cred, Last, S_IFREG};

fn world() -> World {
    let mut w = World::new();
    w.mkdir("/tmp").unwrap();
    w.mkdir("/tmp/sub").unwrap();
    w.write("/file", b"f");
    w.symlink("tmp", "/dirlink").unwrap();
    w.symlink("/file", "/filelink").unwrap();
    w.symlink("tmp/new", "/dangling").unwrap();
    w
}

#[test]
fn resolve_parent_splits_the_last_component() {
    let mut w = world();
    let root = w.root();
    let tmp = w.lookup("/tmp").unwrap();
    let p = w.r().resolve_parent(root, b"/tmp/x").unwrap();
    assert_eq!(
        (p.dir, p.last, p.trailing_slash),
        (tmp, Last::Normal(b"x".to_vec()), false)
    );
    let p = w.r().resolve_parent(root, b"/dirlink//x//").unwrap();
    assert_eq!(
        (p.dir, p.trailing_slash),
        (tmp, true),
        "middle symlinks are followed"
    );
    let p = w.r().resolve_parent(root, b"/dirlink").unwrap();
    assert_eq!(
        (p.dir, p.last),
        (root, Last::Normal(b"dirlink".to_vec())),
        "last is not"
    );
    assert_eq!(w.r().resolve_parent(root, b"/").unwrap().last, Last::Root);
    assert_eq!(w.r().resolve_parent(root, b"//").unwrap().dir, root);
    assert_eq!(
        w.r().resolve_parent(root, b"/tmp/.").unwrap().last,
        Last::Dot
    );
    let p = w.r().resolve_parent(root, b"/tmp/sub/..").unwrap();
    assert_eq!(p.last, Last::DotDot);
    assert_eq!(p.dir, w.lookup("/tmp/sub").unwrap());
    assert_eq!(w.r().resolve_parent(root, b""), Err(ENOENT));
    assert_eq!(w.r().resolve_parent(root, b"/missing/x"), Err(ENOENT));
    assert_eq!(w.r().resolve_parent(root, b"/file/x"), Err(ENOTDIR));
    let long = vec![b'n'; 256];
    assert_eq!(w.r().resolve_parent(root, &long), Err(ENAMETOOLONG));
}

#[test]
fn mkdir_errors() {
    let mut w = world();
    assert_eq!(w.mkdir("/"), Err(EEXIST));
    assert_eq!(w.mkdir("/tmp"), Err(EEXIST));
    assert_eq!(w.mkdir("/tmp/."), Err(EEXIST));
    assert_eq!(w.mkdir("/tmp/.."), Err(EEXIST));
    assert_eq!(
        w.mkdir("/dirlink"),
        Err(EEXIST),
        "an existing symlink is not followed"
    );
    assert_eq!(w.mkdir("/dangling"), Err(EEXIST));
    assert_eq!(w.mkdir("/missing/x"), Err(ENOENT));
    assert_eq!(w.mkdir("/file/x"), Err(ENOTDIR));
    assert!(w.mkdir("/withslash/").is_ok());
    assert!(w.mkdir("/dirlink/viaLink").is_ok());
    assert!(w.stat("/tmp/viaLink").unwrap().is_dir());
}

#[test]
fn rmdir_errors() {
    let mut w = world();
    assert_eq!(w.rmdir("/"), Err(EBUSY));
    assert_eq!(w.rmdir("/tmp/."), Err(EINVAL));
    assert_eq!(w.rmdir("/tmp/sub/.."), Err(ENOTEMPTY));
    assert_eq!(w.rmdir("/tmp"), Err(ENOTEMPTY));
    assert_eq!(w.rmdir("/file"), Err(ENOTDIR));
    assert_eq!(w.rmdir("/dirlink"), Err(ENOTDIR));
    assert_eq!(
        w.rmdir("/dirlink/"),
        Err(ENOTDIR),
        "Linux does not follow it for rmdir"
    );
    assert_eq!(w.rmdir("/missing"), Err(ENOENT));
    assert_eq!(w.rmdir("/tmp/sub/"), Ok(()));
    assert_eq!(w.lookup("/tmp/sub"), Err(ENOENT));
}

#[test]
fn unlink_errors() {
    let mut w = world();
    assert_eq!(w.unlink("/"), Err(EISDIR));
    assert_eq!(w.unlink("/tmp/."), Err(EISDIR));
    assert_eq!(w.unlink("/tmp/.."), Err(EISDIR));
    assert_eq!(w.unlink("/tmp"), Err(EISDIR));
    assert_eq!(w.unlink("/tmp/"), Err(EISDIR));
    assert_eq!(w.unlink("/file/"), Err(ENOTDIR));
    assert_eq!(w.unlink("/missing/"), Err(ENOENT));
    assert_eq!(w.unlink("/missing"), Err(ENOENT));
    assert_eq!(w.unlink("/file/x"), Err(ENOTDIR));
    // Unlinking a symlink removes the link, not its target.
    w.unlink("/filelink").unwrap();
    assert_eq!(w.read("/file").unwrap(), b"f");
    w.unlink("/dirlink").unwrap();
    assert!(w.stat("/tmp").is_ok());
}

#[test]
fn mknod_symlink_and_link_errors() {
    let mut w = world();
    let (root, now) = (w.root(), w.now);
    assert_eq!(
        w.touch("/new/"),
        Err(ENOENT),
        "trailing slash on a new non-directory"
    );
    assert_eq!(
        w.touch("/file/"),
        Err(EEXIST),
        "filename_create: positive is EEXIST"
    );
    assert_eq!(w.touch("/tmp/"), Err(EEXIST));
    assert_eq!(w.touch("/tmp/."), Err(EEXIST));
    assert_eq!(w.symlink("x", "/file"), Err(EEXIST));
    assert_eq!(w.symlink("x", "/newlink/"), Err(ENOENT));
    assert_eq!(w.symlink("", "/emptylink"), Err(ENOENT));
    assert_eq!(w.link("/tmp", "/tmp2"), Err(EPERM));
    assert_eq!(w.link("/missing", "/x"), Err(ENOENT));
    assert_eq!(w.link("/file", "/tmp"), Err(EEXIST));
    assert_eq!(w.link("/file", "/x/"), Err(ENOENT));
    assert_eq!(w.link("/file/", "/x"), Err(ENOTDIR));
    assert_eq!(w.link("/file", "/"), Err(EEXIST));
    // linkat without AT_SYMLINK_FOLLOW links the symlink itself.
    w.link("/filelink", "/hard").unwrap();
    assert!(w.lstat("/hard").unwrap().is_symlink());
    w.r()
        .link(root, b"/filelink", true, root, b"/hard2", now)
        .unwrap();
    assert_eq!(w.lstat("/hard2").unwrap().ino, w.stat("/file").unwrap().ino);
    assert_eq!(w.stat("/file").unwrap().nlink, 2);
}

fn open_create(
    w: &mut World,
    path: &str,
    flags: CreateFlags,
) -> Result<(u64, bool), mello_abi::Errno> {
    let (root, now) = (w.root(), w.now);
    w.r()
        .open_create(root, path.as_bytes(), 0o640, flags, Cred::ROOT, now)
        .map(|(l, c)| (l.ino, c))
}

#[test]
fn open_create_cases() {
    let mut w = world();
    let plain = CreateFlags::default();
    let excl = CreateFlags {
        excl: true,
        ..plain
    };
    let nofollow = CreateFlags {
        nofollow: true,
        ..plain
    };
    let file = w.stat("/file").unwrap().ino;
    assert_eq!(open_create(&mut w, "/file", plain), Ok((file, false)));
    assert_eq!(open_create(&mut w, "/file", excl), Err(EEXIST));
    let (new, created) = open_create(&mut w, "/tmp/new2", excl).unwrap();
    assert!(created);
    assert_eq!(w.stat("/tmp/new2").unwrap().mode, S_IFREG | 0o640);
    assert_eq!(w.stat("/tmp/new2").unwrap().ino, new);
    assert_eq!(open_create(&mut w, "/tmp", plain), Err(EISDIR));
    assert_eq!(open_create(&mut w, "/tmp/.", plain), Err(EISDIR));
    assert_eq!(open_create(&mut w, "/", plain), Err(EISDIR));
    assert_eq!(open_create(&mut w, "/tmp/.", excl), Err(EEXIST));
    assert_eq!(open_create(&mut w, "/newfile/", plain), Err(EISDIR));
    assert_eq!(open_create(&mut w, "/file/", plain), Err(EISDIR));
    assert_eq!(open_create(&mut w, "/missing/x", plain), Err(ENOENT));
    // Through symlinks.
    assert_eq!(open_create(&mut w, "/filelink", plain), Ok((file, false)));
    assert_eq!(open_create(&mut w, "/filelink", excl), Err(EEXIST));
    assert_eq!(open_create(&mut w, "/filelink", nofollow), Err(ELOOP));
    assert_eq!(open_create(&mut w, "/dirlink", plain), Err(EISDIR));
    let (made, created) = open_create(&mut w, "/dangling", plain).unwrap();
    assert!(created, "a dangling symlink's target is created");
    assert_eq!(w.stat("/tmp/new").unwrap().ino, made);
    assert_eq!(open_create(&mut w, "/dangling", plain), Ok((made, false)));
    w.symlink("loop", "/loop").unwrap();
    assert_eq!(open_create(&mut w, "/loop", plain), Err(ELOOP));
}

#[test]
fn stat_after_operations() {
    let mut w = world();
    w.write("/tmp/data", b"12345");
    let st = w.stat("/tmp/data").unwrap();
    assert_eq!((st.size, st.nlink, st.blocks), (5, 1, 8));
    let st = w.lstat("/filelink").unwrap();
    assert_eq!((st.size, st.mode & 0o777), (5, 0o777));
    assert_eq!(
        w.stat("/filelink").unwrap().ino,
        w.stat("/file").unwrap().ino
    );
}

#[test]
fn creating_in_a_removed_directory_is_enoent() {
    let mut w = world();
    let sub = w.lookup("/tmp/sub").unwrap();
    w.fs(sub).pin(sub.ino).unwrap(); // someone's cwd
    w.rmdir("/tmp/sub").unwrap();
    let now = w.now;
    let flags = CreateFlags::default();
    let r = w.r().open_create(sub, b"x", 0o644, flags, Cred::ROOT, now);
    assert_eq!(r.map(|_| ()), Err(ENOENT));
    assert_eq!(
        w.r().mkdir(sub, b"d", 0o755, Cred::ROOT, now).map(|_| ()),
        Err(ENOENT)
    );
    assert_eq!(w.r().resolve(sub, b".", true), Ok(sub));
    assert_eq!(w.ls("/tmp").unwrap(), [".", ".."]);
    w.fs(sub).unpin(sub.ino).unwrap();
    assert_eq!(w.r().stat(sub).map(|_| ()), Err(ENOENT));
}

#[test]
fn unknown_filesystem_and_mount_ids() {
    let mut w = world();
    let bogus = vfs::Location { mount: 0, ino: 1 };
    assert_eq!(
        vfs::Filesystems::with_fs(&mut w.fss, 5, |_| Ok(())),
        Err(ENODEV)
    );
    assert_eq!(
        w.r().stat(vfs::Location { mount: 9, ..bogus }).map(|_| ()),
        Err(EINVAL)
    );
    assert_eq!(
        w.mounts.mount(vfs::Location { mount: 9, ino: 1 }, 0, 1),
        Err(EINVAL)
    );
}
