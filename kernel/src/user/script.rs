//! `#!` scripts in `exec`: find the program that really runs.
//!
//! [`resolve`] reads the file `exec` was given; while it is a `#!` script
//! (parsed by `elfload::script`, exactly as Linux's `binfmt_script`), it
//! rewrites the argument vector to `interpreter [argument] PATH argv[1..]`
//! and reads the interpreter instead, at most `MAX_DEPTH` times (then
//! `ELOOP`). A `#!` line without an interpreter is `ENOEXEC`; a missing
//! interpreter is the error of looking it up (`ENOENT`, `ENOTDIR`, ...).
//! The program and every interpreter must be regular files with an
//! execute bit (`EACCES`, as on Linux).
//! Paths resolve from the caller's working directory, like the script's
//! own. The result is the file to load (an ELF image or anything the
//! loader refuses) and the argv to start it with.

#![forbid(unsafe_code)]

use crate::error::Errno;
use ::vfs::Location;
use alloc::vec::Vec;
use elfload::script::{self, MAX_DEPTH};

/// The program to load and its arguments.
pub struct Program {
    pub file: Vec<u8>,
    /// The path `file` was read from (the last interpreter's, for a script).
    pub path: Vec<u8>,
    pub argv: Vec<Vec<u8>>,
}

/// The contents of the program file at `path`, if exec may run it: a
/// regular file with an execute bit (Linux's `EACCES` otherwise, even for
/// root, whose permission checks skip every other bit).
fn read_program(cwd: Location, path: &[u8]) -> Result<Vec<u8>, Errno> {
    let st = crate::fs::open::stat(cwd, path, true)?;
    if st.mode & mello_abi::fs::S_IFMT != mello_abi::fs::S_IFREG || st.mode & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    crate::fs::open::read_file(cwd, path)
}

/// Follow `#!` lines from `path` (see the module doc).
pub fn resolve(cwd: Location, path: &[u8], argv: &[Vec<u8>]) -> Result<Program, Errno> {
    let mut file = read_program(cwd, path)?;
    let mut argv = try_to_vec(argv)?;
    let mut current = try_copy(path)?;
    for depth in 0.. {
        let line = match script::parse(&file) {
            None => break,
            Some(Err(script::BadScript)) => return Err(Errno::ENOEXEC),
            Some(Ok(line)) => line,
        };
        if depth == MAX_DEPTH {
            return Err(Errno::ELOOP);
        }
        let interpreter = try_copy(line.interpreter)?;
        let mut next = Vec::new();
        fallible::in_scope(|| next.try_reserve(argv.len() + 2)).map_err(|_| Errno::ENOMEM)?;
        next.push(interpreter.clone());
        if let Some(arg) = line.argument {
            next.push(try_copy(arg)?);
        }
        next.push(current);
        next.extend(argv.drain(..).skip(1));
        argv = next;
        file = read_program(cwd, &interpreter)?;
        current = interpreter;
    }
    Ok(Program { file, argv, path: current })
}

fn try_copy(bytes: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut v = Vec::new();
    fallible::in_scope(|| v.try_reserve_exact(bytes.len())).map_err(|_| Errno::ENOMEM)?;
    v.extend_from_slice(bytes);
    Ok(v)
}

fn try_to_vec(argv: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, Errno> {
    let mut v = Vec::new();
    fallible::in_scope(|| v.try_reserve_exact(argv.len())).map_err(|_| Errno::ENOMEM)?;
    for a in argv {
        v.push(try_copy(a)?);
    }
    Ok(v)
}
