//! Initramfs unpacking: archives written by a small newc writer below
//! (every header field settable) and, if the host has GNU `cpio`, one made
//! by `find . | cpio -o -H newc` from a real directory tree.

mod common;

use common::{t, World};
use mello_abi::Errno::*;
use vfs::*;

/// Writes newc archives, header fields chosen per entry.
#[derive(Default)]
struct Newc {
    out: Vec<u8>,
    next_ino: u32,
}

#[derive(Clone, Copy, Default)]
struct Hdr {
    ino: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    mtime: u32,
    dev: (u32, u32),
    rdev: (u32, u32),
}

fn hdr(mode: u32, mtime: u32) -> Hdr {
    Hdr {
        mode,
        mtime,
        nlink: 1,
        ..Hdr::default()
    }
}

impl Newc {
    fn add(&mut self, name: &str, mut h: Hdr, data: &[u8]) -> &mut Self {
        if h.ino == 0 {
            self.next_ino += 1;
            h.ino = 1000 + self.next_ino;
        }
        let fields = [
            h.ino,
            h.mode,
            h.uid,
            h.gid,
            h.nlink,
            h.mtime,
            data.len() as u32,
            h.dev.0,
            h.dev.1,
            h.rdev.0,
            h.rdev.1,
            name.len() as u32 + 1,
            0,
        ];
        self.out.extend_from_slice(b"070701");
        for f in fields {
            self.out.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(0);
        self.pad();
        self.out.extend_from_slice(data);
        self.pad();
        self
    }

    fn pad(&mut self) {
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }

    fn finish(&mut self) -> Vec<u8> {
        self.add(
            "TRAILER!!!",
            Hdr {
                ino: 1,
                ..Hdr::default()
            },
            b"",
        );
        self.out.resize(self.out.len().next_multiple_of(512), 0);
        std::mem::take(&mut self.out)
    }
}

/// Unpacks into the root tmpfs of a new `World`, at time 500.
fn unpack(archive: &[u8]) -> (World, vfs::Result<UnpackStats>) {
    let mut w = World::new();
    let result = unpack_cpio(w.fss[0].as_mut(), archive, t(500));
    (w, result)
}

fn initramfs() -> Vec<u8> {
    let owned = |mode, mtime, uid, gid| Hdr {
        uid,
        gid,
        ..hdr(mode, mtime)
    };
    let link = |nlink| Hdr {
        ino: 77,
        nlink,
        dev: (0, 23),
        ..hdr(S_IFREG | 0o755, 30)
    };
    Newc::default()
        .add(".", hdr(S_IFDIR | 0o700, 10), b"")
        .add("bin", hdr(S_IFDIR | 0o755, 11), b"")
        .add("bin/busybox", hdr(S_IFREG | 0o4755, 12), b"\x7fELF busybox")
        .add("bin/sh", hdr(S_IFLNK | 0o777, 13), b"busybox")
        .add("dev", hdr(S_IFDIR | 0o755, 14), b"")
        .add(
            "dev/console",
            Hdr {
                rdev: (5, 1),
                ..hdr(S_IFCHR | 0o600, 15)
            },
            b"",
        )
        .add(
            "dev/sda1",
            Hdr {
                rdev: (8, 1),
                ..hdr(S_IFBLK | 0o660, 16)
            },
            b"",
        )
        .add(
            "dev/big",
            Hdr {
                rdev: (300, 70000),
                ..hdr(S_IFCHR | 0o600, 16)
            },
            b"",
        )
        .add("dev/initctl", hdr(S_IFIFO | 0o600, 17), b"")
        .add("dev/log", hdr(S_IFSOCK | 0o666, 17), b"")
        .add("etc", hdr(S_IFDIR | 0o755, 18), b"")
        .add(
            "etc/passwd",
            owned(S_IFREG | 0o644, 19, 0, 0),
            b"root:x:0:0::/root:/bin/sh\n",
        )
        .add("home", owned(S_IFDIR | 0o750, 20, 1000, 100), b"")
        .add("home/notes", owned(S_IFREG | 0o600, 21, 1000, 100), b"")
        // GNU cpio stores a hard-linked file's data on the last link only.
        .add("bin/ls", link(2), b"")
        .add("bin/dir", link(2), b"multi-call")
        .finish()
}

#[test]
fn unpacks_a_typical_initramfs() {
    let (mut w, result) = unpack(&initramfs());
    let stats = result.unwrap();
    assert_eq!(
        stats,
        UnpackStats {
            entries: 16,
            bytes: 12 + 26 + 10,
            failed: 0
        }
    );
    let root = w.stat("/").unwrap();
    assert_eq!(
        (root.mode, root.mtime),
        (S_IFDIR | 0o700, t(10)),
        "`.` sets the root"
    );
    let st = w.stat("/bin/busybox").unwrap();
    assert_eq!(
        (st.mode, st.size, st.mtime, st.atime, st.ctime),
        (S_IFREG | 0o4755, 12, t(12), t(12), t(500))
    );
    assert_eq!(w.read("/bin/sh").unwrap(), b"\x7fELF busybox");
    let root_loc = w.root();
    let sh = w.resolve("/bin/sh", false).unwrap();
    assert_eq!(
        w.r().with_fs(root_loc, |fs| fs.readlink(sh.ino)).unwrap(),
        b"busybox"
    );
    assert_eq!(w.lstat("/bin/sh").unwrap().mtime, t(13));
    let console = w.stat("/dev/console").unwrap();
    assert_eq!(
        (console.mode, major(console.rdev), minor(console.rdev)),
        (S_IFCHR | 0o600, 5, 1)
    );
    assert_eq!(w.stat("/dev/console").unwrap().mtime, t(15));
    let sda = w.stat("/dev/sda1").unwrap();
    assert_eq!((sda.mode, sda.rdev), (S_IFBLK | 0o660, makedev(8, 1)));
    assert_eq!(w.stat("/dev/big").unwrap().rdev, makedev(300, 70000));
    assert_eq!(w.stat("/dev/initctl").unwrap().mode, S_IFIFO | 0o600);
    assert_eq!(w.stat("/dev/log").unwrap().mode, S_IFSOCK | 0o666);
    let home = w.stat("/home").unwrap();
    assert_eq!(
        (home.uid, home.gid, home.mode),
        (1000, 100, S_IFDIR | 0o750)
    );
    assert_eq!(w.stat("/home/notes").unwrap().uid, 1000);
    // Directory mtimes survive the entries created in them afterwards.
    for (dir, mtime) in [("/bin", 11), ("/dev", 14), ("/etc", 18), ("/home", 20)] {
        assert_eq!(w.stat(dir).unwrap().mtime, t(mtime), "{dir}");
    }
    assert_eq!(w.stat("/bin").unwrap().nlink, 2);
    // Hard links: one inode, two names, the data from the last entry.
    let ls = w.stat("/bin/ls").unwrap();
    assert_eq!(ls.ino, w.stat("/bin/dir").unwrap().ino);
    assert_eq!((ls.nlink, ls.size, ls.mtime), (2, 10, t(30)));
    assert_eq!(w.read("/bin/ls").unwrap(), b"multi-call");
    assert_eq!(
        w.ls("/bin").unwrap(),
        [".", "..", "busybox", "sh", "ls", "dir"]
    );
}

#[test]
fn leading_slashes_dots_and_missing_parents() {
    let archive = Newc::default()
        .add("./etc", hdr(S_IFDIR | 0o755, 5), b"")
        .add("/etc/hostname", hdr(S_IFREG | 0o644, 6), b"mello\n")
        .add("usr/lib/deep/libc.so", hdr(S_IFREG | 0o755, 7), b"lib")
        .finish();
    let (mut w, result) = unpack(&archive);
    assert_eq!(result.unwrap().failed, 0);
    assert_eq!(w.read("/etc/hostname").unwrap(), b"mello\n");
    assert_eq!(w.read("/usr/lib/deep/libc.so").unwrap(), b"lib");
    let usr = w.stat("/usr/lib").unwrap();
    assert_eq!((usr.mode, usr.mtime, usr.uid), (S_IFDIR | 0o755, t(500), 0));
}

#[test]
fn names_resolve_through_earlier_symlinks() {
    let archive = Newc::default()
        .add("usr", hdr(S_IFDIR | 0o755, 1), b"")
        .add("usr/lib", hdr(S_IFDIR | 0o755, 1), b"")
        .add("lib", hdr(S_IFLNK | 0o777, 1), b"usr/lib")
        .add("lib/ld.so", hdr(S_IFREG | 0o755, 1), b"ld")
        .finish();
    let (mut w, result) = unpack(&archive);
    result.unwrap();
    assert_eq!(w.read("/usr/lib/ld.so").unwrap(), b"ld");
    assert!(w.lstat("/lib").unwrap().is_symlink());
}

#[test]
fn later_entries_replace_earlier_ones_as_clean_path_does() {
    let archive = Newc::default()
        .add("x", hdr(S_IFREG | 0o644, 1), b"old file")
        .add("x", hdr(S_IFDIR | 0o700, 2), b"")
        .add("y", hdr(S_IFDIR | 0o755, 1), b"")
        .add("y", hdr(S_IFLNK | 0o777, 3), b"x")
        .add("z", hdr(S_IFREG | 0o644, 1), b"longer contents")
        .add("z", hdr(S_IFREG | 0o600, 4), b"short")
        .add("full", hdr(S_IFDIR | 0o755, 1), b"")
        .add("full/inner", hdr(S_IFREG | 0o644, 1), b"")
        .add(
            "full",
            hdr(S_IFREG | 0o644, 5),
            b"cannot replace a non-empty dir",
        )
        .finish();
    let (mut w, result) = unpack(&archive);
    assert_eq!(result.unwrap().failed, 1);
    assert_eq!(w.stat("/x").unwrap().mode, S_IFDIR | 0o700);
    assert!(w.lstat("/y").unwrap().is_symlink());
    assert_eq!(w.read("/z").unwrap(), b"short", "O_TRUNC");
    assert_eq!(w.stat("/z").unwrap().mode, S_IFREG | 0o600);
    assert!(w.stat("/full").unwrap().is_dir());
}

#[test]
fn malformed_archive_keeps_what_came_before() {
    let mut archive = Newc::default()
        .add("good", hdr(S_IFREG | 0o644, 1), b"fine")
        .add("bad", hdr(S_IFREG | 0o644, 1), b"cut off here")
        .finish();
    let cut = archive.windows(3).position(|w| w == b"bad").unwrap() + 8;
    archive.truncate(cut);
    let (mut w, result) = unpack(&archive);
    assert_eq!(result, Err(EINVAL));
    assert_eq!(w.read("/good").unwrap(), b"fine");
    let (_, result) = unpack(b"not an archive");
    assert_eq!(result, Err(EINVAL));
    let (mut w, result) = unpack(&Newc::default().finish());
    assert_eq!(result, Ok(UnpackStats::default()));
    assert_eq!(w.ls("/").unwrap(), [".", ".."]);
}

#[test]
fn archive_from_host_cpio() {
    use std::os::unix::fs::MetadataExt;
    use std::process::Command;
    if Command::new("cpio").arg("--version").output().is_err() {
        eprintln!("cpio not installed; skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("vfs-cpio-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub/deeper")).unwrap();
    std::fs::write(dir.join("sub/a.txt"), b"alpha\n").unwrap();
    std::fs::write(dir.join("big"), vec![7u8; 10_000]).unwrap();
    std::fs::hard_link(dir.join("big"), dir.join("sub/big-link")).unwrap();
    std::os::unix::fs::symlink("../big", dir.join("sub/rel")).unwrap();
    let script = "find . | LC_ALL=C sort | cpio -o -H newc --quiet";
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut w, result) = unpack(&out.stdout);
    assert_eq!(result.unwrap().failed, 0);
    for path in [
        "sub",
        "sub/deeper",
        "sub/a.txt",
        "big",
        "sub/big-link",
        "sub/rel",
    ] {
        let host = std::fs::symlink_metadata(dir.join(path)).unwrap();
        let ours = w.lstat(&format!("/{path}")).unwrap();
        assert_eq!(ours.mode, host.mode(), "{path}");
        assert_eq!(ours.mtime.sec, host.mtime(), "{path}");
        if !host.is_dir() {
            assert_eq!(
                (ours.size, ours.nlink as u64),
                (host.size(), host.nlink()),
                "{path}"
            );
        }
    }
    assert_eq!(w.read("/sub/rel").unwrap(), vec![7u8; 10_000]);
    assert_eq!(
        w.stat("/big").unwrap().ino,
        w.stat("/sub/big-link").unwrap().ino
    );
    assert_eq!(w.read("/sub/a.txt").unwrap(), b"alpha\n");
    std::fs::remove_dir_all(&dir).unwrap();
}
