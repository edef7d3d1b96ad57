//! tmpfs namespace operations called directly (inode level): errno cases
//! for create/mkdir/symlink/link/unlink/rmdir, link counts, directory
//! sizes, ownership, and inode lifetime with pins.

mod common;

use common::t;
use mello_abi::Errno::*;
use vfs::tmpfs::ROOT_INO;
use vfs::*;

const R: Ino = ROOT_INO;

fn fs() -> Tmpfs {
    Tmpfs::new(7, 0o755, Cred::ROOT, t(1))
}

fn file(fs: &mut Tmpfs, dir: Ino, name: &str) -> Ino {
    fs.create(dir, name.as_bytes(), S_IFREG | 0o644, 0, Cred::ROOT, t(2))
        .unwrap()
}

#[test]
fn root_attributes() {
    let mut fs = fs();
    let st = fs.getattr(R).unwrap();
    assert_eq!(
        (st.ino, st.dev, st.mode, st.nlink),
        (1, 7, S_IFDIR | 0o755, 2)
    );
    assert_eq!((st.size, st.blocks, st.blksize), (40, 0, 4096));
    assert_eq!(fs.lookup(R, b".."), Ok(R));
    assert_eq!(fs.lookup(R, b"."), Ok(R));
}

#[test]
fn create_errors() {
    let mut fs = fs();
    let f = file(&mut fs, R, "f");
    let c = Cred::ROOT;
    assert_eq!(fs.create(R, b"f", S_IFREG | 0o644, 0, c, t(3)), Err(EEXIST));
    assert_eq!(fs.mkdir(R, b"f", 0o755, c, t(3)), Err(EEXIST));
    assert_eq!(fs.symlink(R, b"f", b"x", c, t(3)), Err(EEXIST));
    assert_eq!(fs.mkdir(R, b".", 0o755, c, t(3)), Err(EEXIST));
    assert_eq!(fs.mkdir(R, b"..", 0o755, c, t(3)), Err(EEXIST));
    assert_eq!(fs.create(f, b"x", S_IFREG, 0, c, t(3)), Err(ENOTDIR));
    assert_eq!(
        fs.create(R, &[b'a'; 256], S_IFREG, 0, c, t(3)),
        Err(ENAMETOOLONG)
    );
    assert!(fs.create(R, &[b'a'; 255], S_IFREG, 0, c, t(3)).is_ok());
    assert_eq!(fs.create(R, b"d", S_IFDIR | 0o755, 0, c, t(3)), Err(EPERM));
    assert_eq!(fs.create(R, b"l", S_IFLNK | 0o777, 0, c, t(3)), Err(EINVAL));
    assert_eq!(fs.symlink(R, b"empty", b"", c, t(3)), Err(ENOENT));
    assert_eq!(
        fs.symlink(R, b"long", &[b'x'; 4096], c, t(3)),
        Err(ENAMETOOLONG)
    );
    assert!(fs.symlink(R, b"longest", &[b'x'; 4095], c, t(3)).is_ok());
    assert_eq!(fs.lookup(R, &[b'a'; 256]), Err(ENAMETOOLONG));
    assert_eq!(fs.lookup(R, b"nope"), Err(ENOENT));
    assert_eq!(fs.lookup(f, b"x"), Err(ENOTDIR));
}

#[test]
fn node_types_and_rdev() {
    let mut fs = fs();
    let c = Cred::ROOT;
    let dev = makedev(4, 64);
    let chr = fs.create(R, b"tty", S_IFCHR | 0o620, dev, c, t(2)).unwrap();
    let blk = fs
        .create(R, b"sda", S_IFBLK | 0o660, makedev(8, 0), c, t(2))
        .unwrap();
    let fifo = fs.create(R, b"p", S_IFIFO | 0o644, dev, c, t(2)).unwrap();
    let plain = fs.create(R, b"plain", 0o600, dev, c, t(2)).unwrap();
    let st = fs.getattr(chr).unwrap();
    assert_eq!(
        (st.mode, st.rdev, major(st.rdev), minor(st.rdev)),
        (S_IFCHR | 0o620, dev, 4, 64)
    );
    assert_eq!(fs.getattr(blk).unwrap().file_type(), FileType::BlockDevice);
    assert_eq!(fs.getattr(fifo).unwrap().rdev, 0, "FIFOs keep no rdev");
    assert_eq!(
        fs.getattr(plain).unwrap().mode,
        S_IFREG | 0o600,
        "type 0 is a regular file"
    );
    assert_eq!(fs.read(chr, 0, &mut [0; 4], t(3)), Err(EINVAL));
    assert_eq!(fs.readlink(chr), Err(EINVAL));
}

#[test]
fn device_numbers_match_glibc() {
    assert_eq!(makedev(8, 1), 0x801);
    assert_eq!(makedev(0x1234, 0x56789), 0x1000_5672_3489);
    for (ma, mi) in [
        (0, 0),
        (1, 3),
        (4095, 255),
        (4096, 256),
        (0xffff_ffff, 0xffff_ffff),
    ] {
        let dev = makedev(ma, mi);
        assert_eq!((major(dev), minor(dev)), (ma, mi));
    }
}

#[test]
fn directory_link_counts_and_sizes() {
    let mut fs = fs();
    let c = Cred::ROOT;
    let a = fs.mkdir(R, b"a", 0o755, c, t(2)).unwrap();
    let b = fs.mkdir(a, b"b", 0o755, c, t(2)).unwrap();
    file(&mut fs, a, "f");
    assert_eq!(fs.getattr(R).unwrap().nlink, 3);
    assert_eq!(fs.getattr(a).unwrap().nlink, 3);
    assert_eq!(fs.getattr(b).unwrap().nlink, 2);
    assert_eq!(fs.getattr(a).unwrap().size, 80, "40 + 20 per entry");
    assert_eq!(fs.lookup(b, b".."), Ok(a));
    assert_eq!(fs.rmdir(R, b"a", t(3)), Err(ENOTEMPTY));
    assert_eq!(fs.rmdir(a, b"f", t(3)), Err(ENOTDIR));
    assert_eq!(fs.unlink(a, b"b", t(3)), Err(EISDIR));
    assert_eq!(fs.rmdir(a, b".", t(3)), Err(EINVAL));
    assert_eq!(fs.rmdir(a, b"..", t(3)), Err(ENOTEMPTY));
    assert_eq!(fs.unlink(a, b".", t(3)), Err(EISDIR));
    assert_eq!(fs.rmdir(a, b"none", t(3)), Err(ENOENT));
    assert_eq!(fs.unlink(a, b"none", t(3)), Err(ENOENT));
    assert_eq!(fs.rmdir(a, b"b", t(3)), Ok(()));
    assert_eq!(fs.getattr(a).unwrap().nlink, 2);
    assert_eq!(fs.getattr(b), Err(ENOENT), "freed");
    assert_eq!(fs.unlink(a, b"f", t(3)), Ok(()));
    assert_eq!(fs.getattr(a).unwrap().size, 40);
    assert_eq!(fs.rmdir(R, b"a", t(3)), Ok(()));
    assert_eq!(fs.getattr(R).unwrap().nlink, 2);
    assert_eq!(fs.inode_count(), 1);
}

#[test]
fn hard_links() {
    let mut fs = fs();
    let c = Cred::ROOT;
    let d = fs.mkdir(R, b"d", 0o755, c, t(2)).unwrap();
    let f = file(&mut fs, R, "f");
    assert_eq!(fs.link(f, d, b"g", t(3)), Ok(()));
    assert_eq!(fs.link(f, d, b"g", t(3)), Err(EEXIST));
    assert_eq!(fs.link(f, d, b".", t(3)), Err(EEXIST));
    assert_eq!(fs.link(d, R, b"d2", t(3)), Err(EPERM));
    assert_eq!(fs.getattr(f).unwrap().nlink, 2);
    assert_eq!(fs.lookup(d, b"g"), Ok(f));
    fs.unlink(R, b"f", t(4)).unwrap();
    assert_eq!(fs.getattr(f).unwrap().nlink, 1);
    fs.unlink(d, b"g", t(4)).unwrap();
    assert_eq!(fs.getattr(f), Err(ENOENT));
}

#[test]
fn unlinked_open_file_lives_until_unpinned() {
    let mut fs = fs();
    let f = file(&mut fs, R, "f");
    fs.write(f, 0, b"still here", t(3)).unwrap();
    fs.pin(f).unwrap();
    fs.pin(f).unwrap();
    fs.unlink(R, b"f", t(4)).unwrap();
    assert_eq!(fs.lookup(R, b"f"), Err(ENOENT));
    assert_eq!(fs.getattr(f).unwrap().nlink, 0);
    let mut buf = [0; 10];
    assert_eq!(fs.read(f, 0, &mut buf, t(5)), Ok(10));
    assert_eq!(&buf, b"still here");
    assert_eq!(fs.write(f, 10, b"!", t(5)), Ok(1));
    assert_eq!(
        fs.link(f, R, b"back", t(5)),
        Err(ENOENT),
        "no relinking at nlink 0"
    );
    fs.unpin(f).unwrap();
    assert_eq!(fs.getattr(f).unwrap().size, 11);
    fs.unpin(f).unwrap();
    assert_eq!(fs.getattr(f), Err(ENOENT));
    assert_eq!(fs.read(f, 0, &mut buf, t(6)), Err(ENOENT));
    assert_eq!(fs.unpin(f), Err(ENOENT));
    assert_eq!(fs.inode_count(), 1);
}

#[test]
fn pins_without_unlink_and_unbalanced_unpin() {
    let mut fs = fs();
    let f = file(&mut fs, R, "f");
    assert_eq!(fs.unpin(f), Err(EINVAL));
    fs.pin(f).unwrap();
    fs.unpin(f).unwrap();
    assert!(fs.getattr(f).is_ok(), "still linked");
}

#[test]
fn removed_directory_pinned_as_cwd() {
    let mut fs = fs();
    let c = Cred::ROOT;
    let d = fs.mkdir(R, b"d", 0o755, c, t(2)).unwrap();
    fs.pin(d).unwrap();
    fs.rmdir(R, b"d", t(3)).unwrap();
    let st = fs.getattr(d).unwrap();
    assert_eq!(st.nlink, 0);
    assert_eq!(fs.create(d, b"x", S_IFREG, 0, c, t(4)), Err(ENOENT));
    assert_eq!(fs.mkdir(d, b"x", 0o755, c, t(4)), Err(ENOENT));
    assert_eq!(fs.lookup(d, b"x"), Err(ENOENT));
    assert_eq!(fs.readdir(d, 0, t(4)), Err(ENOENT));
    assert_eq!(
        fs.lookup(d, b".."),
        Ok(R),
        ".. still leads to the old parent"
    );
    fs.unpin(d).unwrap();
    assert_eq!(fs.getattr(d), Err(ENOENT));
}

#[test]
fn ownership_and_setgid_directories() {
    let mut fs = fs();
    let user = Cred {
        uid: 1000,
        gid: 100,
    };
    let f = fs.create(R, b"f", S_IFREG | 0o4755, 0, user, t(2)).unwrap();
    let st = fs.getattr(f).unwrap();
    assert_eq!((st.uid, st.gid, st.mode), (1000, 100, S_IFREG | 0o4755));
    let d = fs.mkdir(R, b"d", 0o7777, user, t(2)).unwrap();
    assert_eq!(
        fs.getattr(d).unwrap().mode,
        S_IFDIR | 0o1777,
        "mkdir drops set-ID bits"
    );
    let attr = SetAttr {
        mode: Some(0o2775),
        gid: Some(50),
        ..SetAttr::default()
    };
    fs.setattr(d, &attr, t(3)).unwrap();
    let sub = fs.mkdir(d, b"sub", 0o755, user, t(4)).unwrap();
    let st = fs.getattr(sub).unwrap();
    assert_eq!(
        (st.gid, st.mode),
        (50, S_IFDIR | 0o2755),
        "group and S_ISGID inherited"
    );
    let g = fs.create(d, b"g", S_IFREG | 0o644, 0, user, t(4)).unwrap();
    let st = fs.getattr(g).unwrap();
    assert_eq!((st.uid, st.gid, st.mode), (1000, 50, S_IFREG | 0o644));
}

#[test]
fn symlink_sizes_and_blocks() {
    let mut fs = fs();
    let c = Cred::ROOT;
    let short = fs.symlink(R, b"s", &[b'x'; 127], c, t(2)).unwrap();
    let long = fs.symlink(R, b"l", &[b'x'; 128], c, t(2)).unwrap();
    let st = fs.getattr(short).unwrap();
    assert_eq!(
        (st.mode, st.size, st.blocks, st.nlink),
        (S_IFLNK | 0o777, 127, 0, 1)
    );
    assert_eq!(fs.getattr(long).unwrap().blocks, 8);
    assert_eq!(fs.readlink(long).unwrap().len(), 128);
    assert_eq!(fs.readlink(R), Err(EINVAL));
}
