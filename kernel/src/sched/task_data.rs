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
    value: Option<(Arc<dyn Any + Send + Sync>, TypeId)>,
}

impl TaskData {
    /// An empty slot (kernel and idle tasks).
    pub const fn none() -> Self {
        TaskData { value: None }
    }

    /// A slot holding `value`.
    pub fn new<T: Any + Send + Sync>(value: Arc<T>) -> Self {
        TaskData { value: Some((value, TypeId::of::<T>())) }
    }

    /// The value, if there is one and it is a `T`.
    #[inline(always)]
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        let (arc, id) = self.value.as_ref()?;
        if *id != TypeId::of::<T>() {
            return None;
        }
        // SAFETY: `id` is the TypeId of the concrete type the Arc was made
        // from (`new`), and it equals T's: the pointee is a `T`. Dropping the
        // vtable half of the fat pointer keeps the data address.
        Some(unsafe { &*(Arc::as_ptr(arc) as *const T) })
    }

    /// A new reference to the value, if it is a `T`.
    pub fn get_arc<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let (arc, _) = self.value.as_ref()?;
        self.get::<T>()?;
        arc.clone().downcast::<T>().ok()
    }
}
