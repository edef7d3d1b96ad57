//! Threads of one process: [`spawn`] a closure on a new thread, [`exit`]
//! the calling thread, [`JoinHandle::join`] to wait for one and take its
//! result; [`Mutex`] and [`Futex`] to coordinate them.
//!
//! A thread is the native `thread_spawn` call (`mello_abi::thread`): it
//! shares the process's memory, descriptors and IPC ports. Its stack comes
//! from the heap ([`Builder::stack_size`], [`DEFAULT_STACK`]; no guard page:
//! keep deep recursion and large locals off small stacks) and is freed by
//! the join, which waits on the thread's *tid word*: the kernel writes the
//! tid there before the thread runs and zeroes it (and futex-wakes it)
//! once the thread can no longer touch its stack.
//!
//! Ownership: the [`JoinHandle`] owns the stack and the result slot; the
//! thread borrows them until its tid word is zero, so the handle never
//! frees them earlier: dropping a handle without `join` joins too. The
//! closure's box is the thread's own. A thread ended by [`exit`] leaves no
//! result ([`Exited`]) and does not run the destructors of what its stack
//! holds. Returning from `main` is the process's `exit`: every thread
//! ends; the first thread's `thread::exit` leaves the others running (the
//! process's status is then that thread's code). A panic in any thread
//! ends the whole process (status 101), as a fault in any thread kills it.

mod stack;
mod sync;

pub use stack::{Stack, DEFAULT_STACK};
pub use sync::{Futex, Mutex, MutexGuard};

use crate::Errno;
use alloc::boxed::Box;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::Range;
use core::ptr::NonNull;

/// What a spawned thread runs first: the boxed closure (which stores the
/// result where its handle finds it).
type Main = Box<dyn FnOnce()>;

/// The tid word's value before the kernel writes the tid: anything but 0,
/// so that a join never mistakes "not started" for "ended".
const NOT_STARTED: u32 = u32::MAX;

/// The thread ended through [`exit`] instead of returning a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exited;

/// Where a thread's result goes, and the word its end is announced on.
struct Packet<T> {
    tid_word: Futex,
    result: UnsafeCell<Option<T>>,
}

/// A running (or ended, not yet joined) thread.
pub struct JoinHandle<T> {
    /// A `Box<Packet<T>>`'s pointer (the thread writes through it, so it
    /// is not kept as a unique `Box`); freed by `drop`, after the wait.
    packet: NonNull<Packet<T>>,
    stack: Option<Stack>,
    tid: usize,
    _owns: PhantomData<Packet<T>>,
}

// SAFETY: the handle owns the packet and the stack (`T: Send` moves the
// result between threads); nothing in it is tied to the thread holding it.
unsafe impl<T: Send> Send for JoinHandle<T> {}

/// Thread settings: the stack size.
#[derive(Clone, Copy, Debug)]
pub struct Builder {
    stack_size: usize,
}

impl Default for Builder {
    fn default() -> Self {
        Builder { stack_size: DEFAULT_STACK }
    }
}

impl Builder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The new thread's stack size in bytes (rounded up to 16).
    pub fn stack_size(self, bytes: usize) -> Self {
        Builder { stack_size: bytes }
    }

    /// Starts `f` on a new thread. `ENOMEM` without heap for the stack,
    /// the kernel's errors (`EAGAIN` past `limits::MAX_THREADS`, `ENOMEM`).
    pub fn spawn<F, T>(self, f: F) -> Result<JoinHandle<T>, Errno>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let stack = Stack::new(self.stack_size)?;
        let packet = Box::new(Packet { tid_word: Futex::new(NOT_STARTED), result: UnsafeCell::new(None) });
        let packet = NonNull::from(Box::leak(packet));
        // SAFETY: just allocated; freed only by the handle's drop.
        let (slot, word) = unsafe { (packet.as_ref().result.get(), packet.as_ref().tid_word.word().as_ptr() as usize) };
        let main: Main = Box::new(move || {
            let value = f();
            // SAFETY: the handle keeps the packet alive and does not read
            // the slot until this thread has ended (tid word 0).
            unsafe { *slot = Some(value) };
        });
        let arg = Box::into_raw(Box::new(main));
        let entry = thread_start as extern "C" fn(usize) -> ! as usize;
        let args = [entry, stack.top(), arg as usize, word, 0, 0];
        // SAFETY: `entry` is `thread_start`, which takes ownership of `arg`;
        // the stack and the tid word stay allocated until the thread has
        // ended (the handle owns them and frees them only after a wait).
        let ret = unsafe { crate::raw::syscall6(crate::abi::nr::THREAD_SPAWN, args) };
        match Errno::from_ret(ret) {
            Ok(tid) => Ok(JoinHandle { packet, stack: Some(stack), tid, _owns: PhantomData }),
            Err(e) => {
                // SAFETY: no thread started, so `arg` and the packet are
                // still ours alone.
                unsafe {
                    drop(Box::from_raw(arg));
                    drop(Box::from_raw(packet.as_ptr()));
                }
                Err(e)
            }
        }
    }
}

/// Starts `f` on a new thread with a [`DEFAULT_STACK`] stack.
pub fn spawn<F, T>(f: F) -> Result<JoinHandle<T>, Errno>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().spawn(f)
}

/// A new thread's first code: run the closure, end the thread.
extern "C" fn thread_start(arg: usize) -> ! {
    // SAFETY: `arg` is the `Box::into_raw` of `Builder::spawn`, given to
    // this thread alone.
    let main = unsafe { Box::from_raw(arg as *mut Main) };
    main();
    exit(0)
}

/// Ends the calling thread (the process, if it is the last one); a join
/// of it gets [`Exited`]. The process's status is the first thread's
/// code if that thread ends this way.
pub fn exit(code: i32) -> ! {
    // SAFETY: ending this thread breaks no invariant: whatever its stack
    // lends out (the closure's captures) is never given back (leaked).
    unsafe { crate::raw::syscall3(crate::abi::nr::THREAD_EXIT, code as isize as usize, 0, 0) };
    loop {
        // SAFETY: `ud2` only raises #UD (a kernel that returned from
        // thread_exit is broken: die loudly).
        unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
    }
}

impl<T> JoinHandle<T> {
    fn packet(&self) -> &Packet<T> {
        // SAFETY: allocated by `spawn`, freed only by `drop`; the thread
        // touches only the `UnsafeCell`s inside, never through a `&mut`.
        unsafe { self.packet.as_ref() }
    }

    /// The thread's id (distinct from every pid and other tid).
    pub fn tid(&self) -> usize {
        self.tid
    }

    /// The addresses of the thread's stack (empty once joined).
    pub fn stack_range(&self) -> Range<usize> {
        self.stack.as_ref().map_or(0..0, |s| s.range())
    }

    /// Whether the thread has ended (its tid word is 0).
    pub fn is_finished(&self) -> bool {
        self.packet().tid_word.load() == 0
    }

    /// Waits for the thread to end; its closure's value, or [`Exited`].
    pub fn join(mut self) -> Result<T, Exited> {
        self.wait();
        // SAFETY: the thread has ended: nothing else uses the slot.
        unsafe { (*self.packet().result.get()).take() }.ok_or(Exited)
    }

    /// Sleeps until the tid word is 0, then frees the stack.
    fn wait(&mut self) {
        let word = &self.packet().tid_word;
        loop {
            let seen = word.load();
            if seen == 0 {
                break;
            }
            // EAGAIN (the word just changed) or a wake: look again.
            let _ = word.wait(seen, None);
        }
        self.stack = None;
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // The stack and the packet outlive the thread (module doc).
        self.wait();
        // SAFETY: from `Box::leak` in `spawn`; the thread has ended, and
        // this is the only place that frees it.
        drop(unsafe { Box::from_raw(self.packet.as_ptr()) });
    }
}
