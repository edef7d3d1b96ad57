//! A task's opaque data slot: how services attach their own state to a
//! task without the scheduler knowing its type.
//!
//! The scheduler stores one `Arc<dyn Any + Send + Sync>` per task, set when
//! the task is made and never changed (so reading it needs no lock). The
//! user layer puts its `Process` there; a kernel task has none. Access is
//! typed: [`TaskData::get`] returns `Some(&T)` only if the value *is* a `T`.
//!
//! The type check compares the stored `TypeId` with `TypeId::of::<T>()`, a
//! constant, instead of calling `Any::type_id` through the vtable: the
//! lookup is on the system-call path (`getpid`) and costs two compares.

use alloc::sync::Arc;
use core::any::{Any, TypeId};

/// The per-task slot (see the module doc).
pub struct TaskData {
    /// The value, its concrete type, and the address of the value inside
    /// the Arc (cached: finding it through the vtable costs four loads).
    value: Option<(Arc<dyn Any + Send + Sync>, TypeId, *const ())>,
}

// SAFETY: the raw pointer only caches the address of the Arc's own
// `Send + Sync` value, which lives as long as the Arc held beside it.
unsafe impl Send for TaskData {}
// SAFETY: as above; the pointer is never written after construction.
unsafe impl Sync for TaskData {}

impl TaskData {
    /// An empty slot (kernel and idle tasks).
    pub const fn none() -> Self {
        TaskData { value: None }
    }

    /// A slot holding `value`.
    pub fn new<T: Any + Send + Sync>(value: Arc<T>) -> Self {
        let at = Arc::as_ptr(&value) as *const ();
        TaskData { value: Some((value, TypeId::of::<T>(), at)) }
    }

    /// The value, if there is one and it is a `T`.
    #[inline(always)]
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        let (_, id, at) = self.value.as_ref()?;
        if *id != TypeId::of::<T>() {
            return None;
        }
        // SAFETY: `id` is the TypeId of the concrete type the Arc was made
        // from (`new`), and it equals T's, so `at` (that Arc's value, kept
        // alive by the Arc beside it for as long as `self`) points at a `T`.
        Some(unsafe { &*(*at as *const T) })
    }

    /// A new reference to the value, if it is a `T`.
    pub fn get_arc<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let (arc, _, _) = self.value.as_ref()?;
        arc.clone().downcast::<T>().ok()
    }
}
