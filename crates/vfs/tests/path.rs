//! Path resolution (single filesystem): `.`/`..`, slashes, trailing
//! slashes, symlinks and ELOOP, length limits, and where Linux reports
//! ENOENT versus ENOTDIR.

mod common;

use common::World;
use mello_abi::Errno::*;

fn world() -> World {
    let mut w = World::new();
    w.mkdir("/a").unwrap();
    w.mkdir("/a/b").unwrap();
    w.write("/a/b/file", b"data");
    w.write("/f", b"top");
    w.symlink("b", "/a/rel").unwrap();
    w.symlink("/a/b/file", "/abs").unwrap();
    w.symlink("../f", "/a/up").unwrap();
    w.symlink("nowhere", "/dangling").unwrap();
    w.symlink("/f", "/tofile").unwrap();
    w
}

fn ino(w: &mut World, path: &str) -> u64 {
    w.lookup(path).unwrap().ino
}

#[test]
fn absolute_relative_and_dots() {
    let mut w = world();
    let b = ino(&mut w, "/a/b");
    let a = w.lookup("/a").unwrap();
    assert_eq!(w.r().resolve(a, b"b", true).unwrap().ino, b);
    assert_eq!(w.r().resolve(a, b"./b/.", true).unwrap().ino, b);
    assert_eq!(w.r().resolve(a, b"b/..", true).unwrap(), a);
    assert_eq!(
        w.r().resolve(a, b"/a", true).unwrap(),
        a,
        "absolute ignores start"
    );
    assert_eq!(w.lookup("//a///b//").unwrap().ino, b);
    let root = w.root();
    assert_eq!(w.lookup("/..").unwrap(), root);
    assert_eq!(w.lookup("/../../a/../..").unwrap(), root);
    assert_eq!(w.lookup("/").unwrap(), root);
    assert_eq!(w.lookup("///").unwrap(), root);
    assert_eq!(w.lookup("/a/b/../../a/b").unwrap().ino, b);
}

#[test]
fn enoent_and_enotdir_where_linux_gives_them() {
    let mut w = world();
    assert_eq!(w.lookup(""), Err(ENOENT));
    assert_eq!(w.lookup("/missing"), Err(ENOENT));
    assert_eq!(w.lookup("/missing/x"), Err(ENOENT));
    assert_eq!(w.lookup("/f/x"), Err(ENOTDIR));
    assert_eq!(w.lookup("/f/."), Err(ENOTDIR));
    assert_eq!(w.lookup("/f/.."), Err(ENOTDIR));
    assert_eq!(w.lookup("/f/"), Err(ENOTDIR));
    assert_eq!(w.lookup("/f//"), Err(ENOTDIR));
    assert_eq!(w.lookup("/missing/"), Err(ENOENT));
    assert!(w.lookup("/a/").is_ok());
    let f = w.lookup("/f").unwrap();
    assert_eq!(
        w.r().resolve(f, b"x", true),
        Err(ENOTDIR),
        "relative to a file"
    );
    assert_eq!(w.r().resolve(f, b"/a", true).map(|_| ()), Ok(()));
}

#[test]
fn symlinks() {
    let mut w = world();
    let b = ino(&mut w, "/a/b");
    let file = ino(&mut w, "/a/b/file");
    let f = ino(&mut w, "/f");
    assert_eq!(ino(&mut w, "/a/rel"), b, "relative to the link's directory");
    assert_eq!(ino(&mut w, "/a/rel/file"), file);
    assert_eq!(ino(&mut w, "/abs"), file);
    assert_eq!(ino(&mut w, "/a/up"), f);
    assert_eq!(w.read("/a/rel/file").unwrap(), b"data");
    // Not following the last component gives the link itself.
    let link = w.resolve("/abs", false).unwrap();
    assert!(w.r().stat(link).unwrap().is_symlink());
    assert_ne!(link.ino, file);
    // ... but a trailing slash forces following.
    assert_eq!(w.resolve("/a/rel/", false).unwrap().ino, b);
    assert_eq!(w.resolve("/tofile/", false), Err(ENOTDIR));
    assert_eq!(w.lookup("/tofile/"), Err(ENOTDIR));
    // Dangling.
    assert_eq!(w.lookup("/dangling"), Err(ENOENT));
    assert!(w.resolve("/dangling", false).is_ok());
    assert_eq!(w.lookup("/dangling/x"), Err(ENOENT));
    // `..` after a symlink goes up from the target, not the link.
    assert_eq!(w.lookup("/a/rel/.."), w.lookup("/a"));
    w.symlink("/a/b", "/deep").unwrap();
    assert_eq!(w.lookup("/deep/.."), w.lookup("/a"));
    w.symlink("/", "/toroot").unwrap();
    assert_eq!(w.lookup("/toroot/a"), w.lookup("/a"));
    assert_eq!(w.lookup("/toroot"), Ok(w.root()));
}

#[test]
fn forty_links_resolve_and_the_41st_is_eloop() {
    let mut w = world();
    // /l0 -> f, /l1 -> l0, ... /l40 -> l39: following lN takes N+1 links.
    w.symlink("f", "/l0").unwrap();
    for i in 1..=40 {
        w.symlink(&format!("l{}", i - 1), &format!("/l{i}"))
            .unwrap();
    }
    let f = ino(&mut w, "/f");
    assert_eq!(ino(&mut w, "/l39"), f, "40 links");
    assert_eq!(w.lookup("/l40"), Err(ELOOP), "41 links");
    assert!(w.resolve("/l40", false).is_ok(), "not followed: no loop");
    // A link in the middle counts as well.
    w.mkdir("/d").unwrap();
    w.symlink("d", "/m0").unwrap();
    for i in 1..=40 {
        w.symlink(&format!("m{}", i - 1), &format!("/m{i}"))
            .unwrap();
    }
    assert_eq!(w.lookup("/m39/."), w.lookup("/d"));
    assert_eq!(w.lookup("/m40/."), Err(ELOOP));
    assert_eq!(w.resolve("/m40/", false), Err(ELOOP));
}

#[test]
fn symlink_loops() {
    let mut w = world();
    w.symlink("self", "/self").unwrap();
    w.symlink("ping", "/pong").unwrap();
    w.symlink("pong", "/ping").unwrap();
    assert_eq!(w.lookup("/self"), Err(ELOOP));
    assert_eq!(w.lookup("/ping"), Err(ELOOP));
    assert_eq!(w.lookup("/ping/x"), Err(ELOOP));
    assert!(w.resolve("/self", false).is_ok());
}

#[test]
fn name_and_path_length_limits() {
    let mut w = world();
    let long = "x".repeat(256);
    let max = "y".repeat(255);
    assert_eq!(w.lookup(&format!("/{long}")), Err(ENAMETOOLONG));
    assert_eq!(w.lookup(&format!("/{max}")), Err(ENOENT));
    assert_eq!(w.lookup(&format!("/{long}/x")), Err(ENAMETOOLONG));
    assert_eq!(
        w.lookup(&format!("/missing/{long}")),
        Err(ENOENT),
        "earlier error first"
    );
    assert_eq!(w.lookup(&format!("/f/{long}")), Err(ENOTDIR));
    assert_eq!(w.mkdir(&format!("/{long}")), Err(ENAMETOOLONG));
    w.mkdir(&format!("/{max}")).unwrap();
    // A path of 4095 bytes is fine; 4096 is too long.
    let path = format!("{}f", "/".repeat(4094));
    assert_eq!(path.len(), 4095);
    assert_eq!(w.read(&path).unwrap(), b"top");
    let path = format!("{}f", "/".repeat(4095));
    assert_eq!(w.lookup(&path), Err(ENAMETOOLONG));
    assert_eq!(w.touch(&path), Err(ENAMETOOLONG));
}

#[test]
fn relative_paths_from_a_start_directory() {
    let mut w = world();
    let b = w.lookup("/a/b").unwrap();
    let now = w.now;
    let loc = w.r().mkdir(b, b"new", 0o700, vfs::Cred::ROOT, now).unwrap();
    assert_eq!(w.lookup("/a/b/new"), Ok(loc));
    assert_eq!(w.r().resolve(b, b"../../f", true), w.lookup("/f"));
    assert_eq!(w.r().resolve(b, b"../../../../f", true), w.lookup("/f"));
}
