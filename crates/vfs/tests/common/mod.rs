//! Shared helpers for the vfs integration tests: a `World` holding
//! filesystems and a mount table (the kernel's role, minus locks), with
//! path-based shortcuts that run at a settable time `now`.
#![allow(dead_code)] // each test file uses a different subset

use mello_abi::Errno;
use vfs::{
    Cred, Filesystem, FsId, Location, MountId, MountTable, Resolver, Stat, Timespec, Tmpfs, S_IFREG,
};

pub fn t(sec: i64) -> Timespec {
    Timespec::from_secs(sec)
}

pub type Fss = Vec<Box<dyn Filesystem>>;

pub struct World {
    pub fss: Fss,
    pub mounts: MountTable,
    pub now: Timespec,
}

impl World {
    /// A tmpfs (fs 0, root mode 0755) as the root mount, at time 1.
    pub fn new() -> Self {
        let root = Tmpfs::new(1, 0o755, Cred::ROOT, t(1));
        let ino = root.root();
        World {
            fss: vec![Box::new(root)],
            mounts: MountTable::new(0, ino),
            now: t(1),
        }
    }

    pub fn r(&mut self) -> Resolver<'_, Fss> {
        Resolver::new(&self.mounts, &mut self.fss)
    }

    pub fn root(&self) -> Location {
        self.mounts.root()
    }

    pub fn fs(&mut self, loc: Location) -> &mut dyn Filesystem {
        let id = self.mounts.fs_of(loc).unwrap();
        self.fss[id].as_mut()
    }

    pub fn resolve(&mut self, path: &str, follow: bool) -> Result<Location, Errno> {
        let root = self.root();
        self.r().resolve(root, path.as_bytes(), follow)
    }

    pub fn lookup(&mut self, path: &str) -> Result<Location, Errno> {
        self.resolve(path, true)
    }

    pub fn stat(&mut self, path: &str) -> Result<Stat, Errno> {
        let loc = self.resolve(path, true)?;
        self.r().stat(loc)
    }

    pub fn lstat(&mut self, path: &str) -> Result<Stat, Errno> {
        let loc = self.resolve(path, false)?;
        self.r().stat(loc)
    }

    pub fn mkdir(&mut self, path: &str) -> Result<Location, Errno> {
        let (root, now) = (self.root(), self.now);
        self.r()
            .mkdir(root, path.as_bytes(), 0o755, Cred::ROOT, now)
    }

    pub fn touch(&mut self, path: &str) -> Result<Location, Errno> {
        let (root, now) = (self.root(), self.now);
        self.r()
            .mknod(root, path.as_bytes(), S_IFREG | 0o644, 0, Cred::ROOT, now)
    }

    pub fn symlink(&mut self, target: &str, path: &str) -> Result<Location, Errno> {
        let (root, now) = (self.root(), self.now);
        self.r()
            .symlink(target.as_bytes(), root, path.as_bytes(), Cred::ROOT, now)
    }

    pub fn unlink(&mut self, path: &str) -> Result<(), Errno> {
        let (root, now) = (self.root(), self.now);
        self.r().unlink(root, path.as_bytes(), now)
    }

    pub fn rmdir(&mut self, path: &str) -> Result<(), Errno> {
        let (root, now) = (self.root(), self.now);
        self.r().rmdir(root, path.as_bytes(), now)
    }

    pub fn rename(&mut self, old: &str, new: &str) -> Result<(), Errno> {
        let (root, now) = (self.root(), self.now);
        self.r()
            .rename(root, old.as_bytes(), root, new.as_bytes(), now)
    }

    pub fn link(&mut self, old: &str, new: &str) -> Result<(), Errno> {
        let (root, now) = (self.root(), self.now);
        self.r()
            .link(root, old.as_bytes(), false, root, new.as_bytes(), now)
    }

    /// Creates (or opens) `path` and writes `data` at offset 0.
    pub fn write(&mut self, path: &str, data: &[u8]) -> Location {
        let (root, now) = (self.root(), self.now);
        let flags = vfs::CreateFlags::default();
        let (loc, _) = self
            .r()
            .open_create(root, path.as_bytes(), 0o644, flags, Cred::ROOT, now)
            .unwrap();
        assert_eq!(self.fs(loc).write(loc.ino, 0, data, now), Ok(data.len()));
        loc
    }

    /// The whole contents of the file at `path`.
    pub fn read(&mut self, path: &str) -> Result<Vec<u8>, Errno> {
        let loc = self.lookup(path)?;
        let now = self.now;
        let size = self.r().stat(loc)?.size as usize;
        let mut buf = vec![0; size];
        let n = self.fs(loc).read(loc.ino, 0, &mut buf, now)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Names in directory `path`, `.` and `..` included, in listing order.
    pub fn ls(&mut self, path: &str) -> Result<Vec<String>, Errno> {
        let loc = self.lookup(path)?;
        let now = self.now;
        let fs = self.fs(loc);
        let mut names = Vec::new();
        let mut cookie = 0;
        while let Some(entry) = fs.readdir(loc.ino, cookie, now)? {
            names.push(String::from_utf8(entry.name).unwrap());
            cookie = entry.next;
        }
        Ok(names)
    }

    /// Adds a fresh tmpfs (root mode 01777); returns its id.
    pub fn add_tmpfs(&mut self) -> FsId {
        let id = self.fss.len();
        self.fss.push(Box::new(Tmpfs::new(
            id as u64 + 1,
            0o1777,
            Cred::ROOT,
            self.now,
        )));
        id
    }

    /// Mounts filesystem `fs`'s root on the directory at `path`.
    pub fn mount(&mut self, path: &str, fs: FsId) -> MountId {
        let at = self.lookup(path).unwrap();
        assert!(self.r().stat(at).unwrap().is_dir());
        let root = self.fss[fs].root();
        self.mounts.mount(at, fs, root).unwrap()
    }

    pub fn getcwd(&mut self, loc: Location) -> Result<String, Errno> {
        self.r().getcwd(loc).map(|p| String::from_utf8(p).unwrap())
    }
}
