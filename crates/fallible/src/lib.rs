//! Allocation that fails with an error instead of a panic.
//!
//! The kernel must answer `ENOMEM` when its heap is exhausted (or when
//! `failslab=` fault injection says so), but the standard collections'
//! insertions (`BTreeMap::insert`, `Vec::push`, `<[T]>::to_vec`) abort
//! on a failed allocation, and stable Rust has no fallible `BTreeMap`.
//! This crate offers what the kernel's system-call paths need instead:
//!
//! - [`SortedMap`]: an ordered map kept as one sorted `Vec`, whose
//!   [`try_insert`](SortedMap::try_insert) reserves before it touches
//!   anything (on error the map is unchanged);
//! - [`try_push`], [`try_extend`], [`try_to_vec`], [`try_with_capacity`], [`try_zeroed`]:
//!   the `Vec` operations, reserving with `try_reserve` first.
//!
//! A sorted vector trades O(n) insertion and removal (one `memmove`) for
//! O(log n) lookup, no per-entry node allocation and cache-friendly
//! iteration: right for directories and tables of up to tens of
//! thousands of entries.
//!
//! Fault injection: an allocator cannot tell a fallible request
//! (`try_reserve`) from an infallible one (`Box::new`, which aborts on
//! failure), so this crate brackets each of its allocations with the
//! [`ScopeHooks`] the kernel registers: the kernel's `failslab=` fails
//! only allocations made inside such a scope, the ones whose failure is
//! handled.
//!
//! No locks: callers hold whatever lock protects the collection.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod map;

pub use map::SortedMap;

use alloc::vec::Vec;

/// An allocation failed (the heap is exhausted or a failure was injected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocError;

impl From<alloc::collections::TryReserveError> for AllocError {
    fn from(_: alloc::collections::TryReserveError) -> Self {
        AllocError
    }
}

/// What the allocator's user runs around each fallible allocation:
/// `enter` returns a token that `leave` gets back.
pub struct ScopeHooks {
    pub enter: fn() -> usize,
    pub leave: fn(usize),
}

static HOOKS: spin::Once<ScopeHooks> = spin::Once::new();

/// Register the scope hooks (once; later calls are ignored).
pub fn set_scope_hooks(hooks: ScopeHooks) {
    HOOKS.call_once(|| hooks);
}

/// Runs `f` (one fallible allocation) inside the registered scope.
pub fn in_scope<R>(f: impl FnOnce() -> R) -> R {
    match HOOKS.get() {
        None => f(),
        Some(h) => {
            let token = (h.enter)();
            let r = f();
            (h.leave)(token);
            r
        }
    }
}

/// `v.try_reserve(additional)`, as a fallible allocation.
pub fn try_reserve<T>(v: &mut Vec<T>, additional: usize) -> Result<(), AllocError> {
    Ok(in_scope(|| v.try_reserve(additional))?)
}

/// `v.try_reserve_exact(additional)`, as a fallible allocation.
pub fn try_reserve_exact<T>(v: &mut Vec<T>, additional: usize) -> Result<(), AllocError> {
    Ok(in_scope(|| v.try_reserve_exact(additional))?)
}

/// Appends `value` to `v`, reserving room first.
pub fn try_push<T>(v: &mut Vec<T>, value: T) -> Result<(), AllocError> {
    try_reserve(v, 1)?;
    v.push(value);
    Ok(())
}

/// Appends a copy of `items` to `v`, reserving room first.
pub fn try_extend<T: Clone>(v: &mut Vec<T>, items: &[T]) -> Result<(), AllocError> {
    try_reserve(v, items.len())?;
    v.extend_from_slice(items);
    Ok(())
}

/// A copy of `items` in a new `Vec` of exactly that length.
pub fn try_to_vec<T: Clone>(items: &[T]) -> Result<Vec<T>, AllocError> {
    let mut v = try_with_capacity(items.len())?;
    v.extend_from_slice(items);
    Ok(v)
}

/// An empty `Vec` with room for `n` elements.
pub fn try_with_capacity<T>(n: usize) -> Result<Vec<T>, AllocError> {
    let mut v = Vec::new();
    try_reserve_exact(&mut v, n)?;
    Ok(v)
}

/// `n` zero bytes in a new boxed slice.
pub fn try_zeroed(n: usize) -> Result<alloc::boxed::Box<[u8]>, AllocError> {
    let mut v = try_with_capacity(n)?;
    v.resize(n, 0);
    Ok(v.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vec_helpers() {
        let mut v = try_to_vec(&[1u8, 2, 3]).unwrap();
        assert_eq!(v.capacity(), 3);
        try_push(&mut v, 4).unwrap();
        try_extend(&mut v, &[5]).unwrap();
        assert_eq!(v, [1, 2, 3, 4, 5]);
        assert!(try_with_capacity::<u64>(usize::MAX / 4).is_err());
        assert_eq!(&*try_zeroed(3).unwrap(), &[0, 0, 0]);
    }
}

#[cfg(test)]
mod scope_tests {
    extern crate std;
    use super::*;
    use core::cell::Cell;

    std::thread_local! {
        // Per thread: the other tests allocate in parallel threads.
        static DEPTH: Cell<usize> = const { Cell::new(0) };
        static ENTERED: Cell<usize> = const { Cell::new(0) };
    }

    #[test]
    fn every_allocation_is_bracketed() {
        set_scope_hooks(ScopeHooks {
            enter: || {
                ENTERED.with(|e| e.set(e.get() + 1));
                DEPTH.with(|d| d.replace(d.get() + 1)) + 100
            },
            leave: |token| DEPTH.with(|d| d.set(token - 100)),
        });
        let before = ENTERED.with(Cell::get);
        let mut v = try_to_vec(b"ab").unwrap();
        try_push(&mut v, b'c').unwrap();
        let mut m = SortedMap::new();
        m.try_insert(1u8, ()).unwrap();
        assert_eq!(ENTERED.with(Cell::get) - before, 3);
        assert_eq!(DEPTH.with(Cell::get), 0, "every enter was left");
    }
}
