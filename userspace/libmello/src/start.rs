//! Process entry. The kernel starts a program at `_start` with `rsp`
//! pointing at the System V initial stack:
//!
//! ```text
//! rsp -> argc
//!        argv[0] .. argv[argc-1]   pointers to NUL-terminated strings
//!        NULL
//!        envp[..]                  (MelloOS passes none)
//!        NULL
//!        auxv pairs (type, value)  ending with AT_NULL (0, 0)
//! ```
//!
//! `_start` clears `rbp` (end of the frame chain), passes that stack
//! pointer to `rust_start`, which records it and calls the program's
//! `main` (declared with [`crate::entry!`]) and exits with its result.

use crate::sys::exit;
use core::ffi::{c_char, CStr};
use core::sync::atomic::{AtomicUsize, Ordering};

#[cfg(all(target_os = "none", not(test)))]
core::arch::global_asm!(
    ".pushsection .text._start, \"ax\", @progbits",
    ".globl _start",
    ".type _start, @function",
    "_start:",
    "    xor ebp, ebp",
    "    mov rdi, rsp",
    "    and rsp, -16",
    "    call {rust_start}",
    "    ud2",
    ".size _start, . - _start",
    ".popsection",
    rust_start = sym rust_start,
);

// The MelloOS brand: an ELF note (name "MelloOS", type NT_MELLOS_ABI = 1,
// descriptor the native ABI version 1 as a u32; elfload's MELLOS_NOTE_NAME,
// NT_MELLOS_ABI and MELLOS_ABI_VERSION) in its own `.note.mellos` section,
// which `mello.ld` keeps in a PT_NOTE segment. The kernel's exec gives a
// program carrying it the native personality, whatever its caller's.
// It sits beside `_start`, so every program (which links `_start`) has it;
// tools/mkinitrd.sh refuses a /bin program without it.
#[cfg(all(target_os = "none", not(test)))]
core::arch::global_asm!(
    ".pushsection .note.mellos, \"a\", @note",
    ".balign 4",
    ".long 8",            // namesz: "MelloOS\0"
    ".long 4",            // descsz
    ".long 1",            // type: NT_MELLOS_ABI
    ".asciz \"MelloOS\"",
    ".balign 4",
    ".long 1",            // the native ABI version
    ".balign 4",
    ".popsection",
);

/// The stack pointer the kernel handed to `_start` (0 before start-up).
static INITIAL_SP: AtomicUsize = AtomicUsize::new(0);

#[cfg(all(target_os = "none", not(test)))]
unsafe extern "Rust" {
    /// The program's entry, defined by `mello::entry!`.
    fn __mello_main(args: Args) -> i32;
}

#[cfg(all(target_os = "none", not(test)))]
unsafe extern "C" fn rust_start(sp: *const usize) -> ! {
    INITIAL_SP.store(sp as usize, Ordering::Relaxed);
    // SAFETY: the kernel's exec contract: `sp` points at argc followed by
    // argc valid string pointers and a NULL, all mapped for the life of
    // the process.
    let args = unsafe { Args { argc: *sp, argv: sp.add(1) as *const *const c_char } };
    // SAFETY: `__mello_main` is the `fn(Args) -> i32` that `entry!` defines.
    let code = unsafe { __mello_main(args) };
    exit(code)
}

/// The stack pointer at `_start`, i.e. the address of `argc`.
pub fn initial_stack() -> usize {
    INITIAL_SP.load(Ordering::Relaxed)
}

/// The program's arguments (`argv`), as set up by `exec`.
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const c_char,
}

impl Args {
    /// Number of arguments (`argc`), including the program name.
    pub fn len(&self) -> usize {
        self.argc
    }

    /// Whether there are no arguments at all (exec with a null argv).
    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }

    /// Argument `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<&'static CStr> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: i < argc, so argv[i] is inside the kernel-built array.
        let p = unsafe { *self.argv.add(i) };
        // SAFETY: a non-null argv entry is a NUL-terminated string that
        // stays mapped (and unmodified) for the life of the process.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) })
    }

    /// Argument `i` as UTF-8, or `None` past the end or if not UTF-8.
    pub fn str(&self, i: usize) -> Option<&'static str> {
        self.get(i).and_then(|s| s.to_str().ok())
    }

    /// All arguments in order.
    pub fn iter(&self) -> impl Iterator<Item = &'static CStr> + '_ {
        (0..self.argc).filter_map(|i| self.get(i))
    }

    /// Reads the rest of the initial stack (argv terminator, envp, auxv)
    /// for programs that check the exec ABI. Scans at most 256 entries of
    /// envp and of auxv.
    pub fn stack_layout(&self) -> InitialStack {
        let word = |i: usize| -> usize {
            // SAFETY: the System V layout guarantees these words exist up
            // to the AT_NULL pair; the scan stops there (or at 256).
            unsafe { *(self.argv as *const usize).add(i) }
        };
        let argv_terminated = word(self.argc) == 0;
        let env_start = self.argc + 1;
        let envc = (0..256).take_while(|&i| word(env_start + i) != 0).count();
        let aux_start = env_start + envc + 1;
        let auxc = (0..256).take_while(|&i| word(aux_start + 2 * i) != 0).count();
        InitialStack { sp: initial_stack(), argv_terminated, envc, auxc, aux_terminated: auxc < 256 }
    }
}

/// What [`Args::stack_layout`] found.
#[derive(Clone, Copy, Debug)]
pub struct InitialStack {
    /// `rsp` at `_start` (must be 16-byte aligned).
    pub sp: usize,
    /// `argv[argc]` is NULL.
    pub argv_terminated: bool,
    /// Environment entries before the envp NULL.
    pub envc: usize,
    /// Auxiliary-vector pairs before `AT_NULL`.
    pub auxc: usize,
    /// An `AT_NULL` pair was found.
    pub aux_terminated: bool,
}
