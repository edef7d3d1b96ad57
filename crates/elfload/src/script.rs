//! `#!` interpreter scripts, the other executable format `execve` accepts:
//! parse the first line exactly as Linux's `binfmt_script` does.
//!
//! Linux reads the first [`HEAD_BYTES`] bytes of the file. A file starting
//! with `#!` names its interpreter on that line: after the `#!` and any
//! spaces or tabs, the interpreter path runs to the next space, tab or NUL;
//! everything after it on the line (leading blanks skipped, trailing
//! blanks trimmed, inner blanks kept) is ONE optional argument. The exec
//! then runs `interpreter [argument] PATH argv[1..]`, where PATH is the
//! name the script was exec'd by, and the interpreter may be a script in
//! turn, up to [`MAX_DEPTH`] levels (then `ELOOP`).
//!
//! A first line longer than [`HEAD_BYTES`] is cut there; if the cut falls
//! inside the interpreter's path (no blank or NUL after it), Linux refuses
//! the file (`ENOEXEC`) rather than run a truncated path. A line with no
//! interpreter is `ENOEXEC` too.

/// Bytes of the file's head that hold the `#!` line (Linux's
/// `BINPRM_BUF_SIZE`).
pub const HEAD_BYTES: usize = 256;

/// Interpreter levels one exec follows before failing with `ELOOP`
/// (Linux's `exec_binprm` loop allows depths 0..=5: five rewrites).
pub const MAX_DEPTH: usize = 5;

/// A parsed `#!` line.
#[derive(Debug, PartialEq, Eq)]
pub struct Shebang<'a> {
    pub interpreter: &'a [u8],
    pub argument: Option<&'a [u8]>,
}

/// The file is a script, but its `#!` line names no usable interpreter
/// (`ENOEXEC`).
#[derive(Debug, PartialEq, Eq)]
pub struct BadScript;

fn blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn terminator(b: u8) -> bool {
    blank(b) || b == 0
}

/// `None` if `file` (its first bytes suffice) is not a `#!` script;
/// otherwise its interpreter line.
pub fn parse(file: &[u8]) -> Option<Result<Shebang<'_>, BadScript>> {
    let head = &file[..file.len().min(HEAD_BYTES)];
    if !head.starts_with(b"#!") {
        return None;
    }
    Some(parse_line(head, file.len() > HEAD_BYTES))
}

fn parse_line(head: &[u8], longer: bool) -> Result<Shebang<'_>, BadScript> {
    let body = &head[2..];
    let line = match body.iter().position(|&b| b == b'\n') {
        Some(end) => &body[..end],
        None => {
            // No newline in the head: the line may go on past it. Linux
            // treats the head as the line (its last byte reserved for a
            // NUL) and refuses it if the interpreter's path could be cut.
            let line = if longer || head.len() == HEAD_BYTES { &body[..body.len() - 1] } else { body };
            let name = line.iter().position(|&b| !blank(b)).ok_or(BadScript)?;
            if (longer || head.len() == HEAD_BYTES) && !line[name..].iter().any(|&b| terminator(b)) {
                return Err(BadScript);
            }
            line
        }
    };
    let end = line.iter().rposition(|&b| !blank(b)).map_or(0, |i| i + 1);
    let line = &line[..end];
    let start = line.iter().position(|&b| !blank(b)).ok_or(BadScript)?;
    let rest = &line[start..];
    let name_len = rest.iter().position(|&b| terminator(b)).unwrap_or(rest.len());
    let interpreter = &rest[..name_len];
    let argument = match rest.get(name_len) {
        Some(&b) if b != 0 => {
            let after = &rest[name_len..];
            after.iter().position(|&b| !blank(b)).map(|i| &after[i..])
        }
        _ => None,
    };
    Ok(Shebang { interpreter, argument })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<'a>(interpreter: &'a [u8], argument: Option<&'a [u8]>) -> Option<Result<Shebang<'a>, BadScript>> {
        Some(Ok(Shebang { interpreter, argument }))
    }

    #[test]
    fn plain_and_with_argument() {
        assert_eq!(parse(b"#!/bin/sh\necho hi\n"), ok(b"/bin/sh", None));
        assert_eq!(parse(b"#! /bin/sh -e\n"), ok(b"/bin/sh", Some(b"-e")));
        assert_eq!(parse(b"#!/usr/bin/env  python3 -u  \t\nx"), ok(b"/usr/bin/env", Some(b"python3 -u")));
        assert_eq!(parse(b"#!/bin/sh"), ok(b"/bin/sh", None), "no newline, short file");
        assert_eq!(parse(b"#!/bin/sh   \n"), ok(b"/bin/sh", None), "trailing blanks are no argument");
    }

    #[test]
    fn not_a_script() {
        assert_eq!(parse(b"\x7fELF"), None);
        assert_eq!(parse(b"#"), None);
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b" #!/bin/sh"), None);
    }

    #[test]
    fn no_interpreter() {
        assert_eq!(parse(b"#!\n"), Some(Err(BadScript)));
        assert_eq!(parse(b"#!  \t \n/bin/sh"), Some(Err(BadScript)));
        assert_eq!(parse(b"#!"), Some(Err(BadScript)));
    }

    #[test]
    fn nul_ends_the_interpreter_and_drops_the_argument() {
        assert_eq!(parse(b"#!/bin/sh\0 -x\n"), ok(b"/bin/sh", None));
    }

    #[test]
    fn long_lines() {
        // The interpreter fits and a blank follows it: the argument is cut.
        let mut f = b"#!/bin/sh -c ".to_vec();
        f.resize(400, b'x');
        let got = parse(&f).unwrap().unwrap();
        assert_eq!(got.interpreter, b"/bin/sh");
        assert_eq!(got.argument.unwrap().len(), HEAD_BYTES - 1 - b"#!/bin/sh ".len());
        // The interpreter's path itself runs past the head: refused.
        let mut g = b"#!/".to_vec();
        g.resize(400, b'a');
        assert_eq!(parse(&g), Some(Err(BadScript)));
    }
}
