//! Task Control Blocks.
//!
//! A [`Task`] is a kernel thread of execution: its own kernel stack (with a
//! guard page), saved context, state and priority. The scheduler knows
//! nothing of processes or IPC: a service attaches its own state through
//! the opaque [`TaskData`] slot (the user layer puts the process there). A
//! user task also has an FPU area and runs on its own address space
//! (`cr3`); kernel tasks run on the kernel page tables. A user task's FS
//! base (`fs_base`, the thread pointer of Linux programs, set by
//! `arch_prctl`) is loaded on every switch to it.
//!
//! States follow the spec's machine: Ready → Running → (Ready | Sleeping |
//! Blocked | Terminated). `state` is an atomic: a sleeper or blocked task is
//! made Ready by exactly one waker (compare-and-swap), which then enqueues
//! it. `on_cpu` is true from the moment a CPU picks the task until that CPU
//! has switched away from it; another CPU must not run the task (its stack
//! is still in use) before it turns false.
//!
//! `affinity` is the set of CPUs the task may run on (Linux's `cpus_mask`):
//! all CPUs for a kernel task unless pinned to one, the creator's mask for
//! a user task made by a user task (fork and clone inherit it; `execve`
//! keeps the task, so keeps it too). It is one atomic word and no lock
//! guards it: `sched::affinity` stores it, and the scheduler bit-tests it
//! wherever it places or picks the task (protocol in `affinity.rs`).

use super::context;
use crate::mm::kstack::KernelStack;
use crate::mm::pmm::OutOfMemory;
use super::task_data::TaskData;
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
pub use runqueue::Priority;
use runqueue::cpumask::CpuMask;

pub type TaskId = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TaskState {
    Ready = 0,
    Running = 1,
    Sleeping = 2,
    Blocked = 3,
    Terminated = 4,
}

impl TaskState {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => TaskState::Ready,
            1 => TaskState::Running,
            2 => TaskState::Sleeping,
            3 => TaskState::Blocked,
            _ => TaskState::Terminated,
        }
    }
}

/// 512-byte `fxsave` area for a user task's x87/SSE state.
#[repr(C, align(16))]
pub struct FxArea(pub [u8; 512]);

impl FxArea {
    /// The power-on state: x87 control word 0x37F, MXCSR 0x1F80.
    pub fn new_default() -> Box<Self> {
        let mut fx = Box::new(FxArea([0; 512]));
        fx.0[0..2].copy_from_slice(&0x037Fu16.to_le_bytes());
        fx.0[24..28].copy_from_slice(&0x1F80u32.to_le_bytes());
        fx
    }
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
/// Tasks made and not yet freed (diagnostics: a task kept alive by a stray
/// reference keeps its kernel stack).
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// How many tasks exist (made, not yet freed).
pub fn live_tasks() -> usize {
    LIVE.load(Ordering::Relaxed)
}

pub struct Task {
    pub id: TaskId,
    pub name: &'static str,
    pub priority: Priority,
    state: AtomicU8,
    /// Set while some CPU is running (or switching away from) this task.
    pub on_cpu: AtomicBool,
    /// CPU whose run queue holds (or last held) this task.
    pub cpu: AtomicUsize,
    /// The CPUs this task may run on (a `CpuMask` word; module doc). Written
    /// only by `sched::affinity::set` (and at creation), no lock.
    pub(super) affinity: AtomicU64,
    /// Whether `affinity` has more than one CPU (kept beside it by whoever
    /// stores it, `Task::set_affinity`): what a run queue counts as stealable.
    pub(super) spread: AtomicBool,
    /// Whether its run queue counted it as stealable (more than one allowed
    /// CPU) when it was queued, so that leaving counts the same way even if
    /// the mask changed meanwhile. Owned by whichever queue holds the task.
    pub(super) stealable: AtomicBool,
    /// Page-table root to load when this task runs.
    pub cr3: AtomicU64,
    /// User FS base (a lower-half address), loaded into `IA32_FS_BASE` on
    /// every switch to this task; written only by the task itself
    /// (`sched::set_current_fs_base`) or before it first runs (fork).
    pub fs_base: AtomicU64,
    /// Which system-call table this task's calls use: a tag the scheduler
    /// never interprets (the user layer mirrors the process's personality
    /// here so the dispatch reads one byte; 0 = native).
    pub syscall_abi: AtomicU8,
    /// Tick at which a sleeping task becomes due.
    pub wake_tick: AtomicU64,
    /// What log lines call a user task: the pid of the process it runs
    /// (0 for kernel tasks), given by the user layer at creation, so that
    /// traces name what users see (pids) beside the scheduler's task ids.
    pub log_pid: usize,
    /// Work a service left for this task on its way back to user mode (for
    /// user tasks: a deliverable signal). While set, an interruptible wait
    /// ends at once (`wait::Waiter`) and the resume hook runs at the next
    /// return to ring 3 (`sched::on_trap_exit`). The scheduler never
    /// interprets it further.
    pub user_work: AtomicBool,
    /// Set while the task waits interruptibly: `sched::end_interruptible_wait` may then
    /// wake it (an uninterruptible wait is never cut short).
    pub interruptible: AtomicBool,
    /// Saved stack pointer while switched out (only touched by the switch).
    pub(super) saved_rsp: UnsafeCell<u64>,
    /// `None` for idle tasks, which run on their CPU's boot stack.
    kstack: Option<KernelStack>,
    /// User FPU/SSE state (user tasks only), saved/restored on switches.
    pub(super) fx: Option<UnsafeCell<Box<FxArea>>>,
    /// What a service attached to this task (for user tasks: the process).
    pub data: TaskData,
    /// Body of a kernel task, taken when it first runs.
    pub(super) entry: UnsafeCell<Option<Box<dyn FnOnce() + Send>>>,
}

// SAFETY: the UnsafeCell fields are touched only by the CPU that owns the
// task at that moment: `saved_rsp`/`fx` inside the context switch (while
// `on_cpu` serialises CPUs), `entry` once by the task itself on first run.
unsafe impl Sync for Task {}
// SAFETY: as above; a task moves between CPUs only through the scheduler.
unsafe impl Send for Task {}

impl Task {
    /// A kernel task that will run `body` (not yet enqueued).
    pub fn new_kernel(
        name: &'static str,
        priority: Priority,
        pinned: Option<usize>,
        body: Box<dyn FnOnce() + Send>,
    ) -> Result<Arc<Task>, OutOfMemory> {
        let task = Self::build(name, priority, None, TaskData::none(), Some(body), crate::mm::kernel_space::kernel_pml4())?;
        task.set_affinity(pinned.map_or(CpuMask::ALL, CpuMask::single));
        Ok(task)
    }

    /// A user task carrying `data` that enters ring 3 through `frame`
    /// (copied to the top of its kernel stack), with address space `cr3`.
    pub fn new_user(
        name: &'static str,
        log_pid: usize,
        data: TaskData,
        frame: &crate::arch::trap::TrapFrame,
        fx: Box<FxArea>,
        cr3: u64,
    ) -> Result<Arc<Task>, OutOfMemory> {
        let mut task = Self::build(name, Priority::Normal, Some(fx), data, None, cr3)?;
        Arc::get_mut(&mut task).expect("new task is unshared").log_pid = log_pid;
        task.set_affinity(super::affinity::inherited());
        let top = task.kernel_stack_top();
        // SAFETY: the task is new and unshared: we own its stack and context.
        unsafe { context::prepare_user(&mut *task.saved_rsp.get(), top, frame) };
        Ok(task)
    }

    fn build(
        name: &'static str,
        priority: Priority,
        fx: Option<Box<FxArea>>,
        data: TaskData,
        body: Option<Box<dyn FnOnce() + Send>>,
        cr3: u64,
    ) -> Result<Arc<Task>, OutOfMemory> {
        let stack = KernelStack::new()?;
        let mut rsp = 0;
        context::prepare_kernel(&mut rsp, stack.top());
        Ok(Arc::new(Task {
            id: { LIVE.fetch_add(1, Ordering::Relaxed); NEXT_ID.fetch_add(1, Ordering::Relaxed) },
            name,
            priority,
            state: AtomicU8::new(TaskState::Ready as u8),
            on_cpu: AtomicBool::new(false),
            cpu: AtomicUsize::new(0),
            affinity: AtomicU64::new(CpuMask::ALL.0),
            spread: AtomicBool::new(true),
            stealable: AtomicBool::new(false),
            cr3: AtomicU64::new(cr3),
            fs_base: AtomicU64::new(0),
            syscall_abi: AtomicU8::new(0),
            wake_tick: AtomicU64::new(0),
            log_pid: 0,
            user_work: AtomicBool::new(false),
            interruptible: AtomicBool::new(false),
            saved_rsp: UnsafeCell::new(rsp),
            kstack: Some(stack),
            fx: fx.map(UnsafeCell::new),
            data,
            entry: UnsafeCell::new(body),
        }))
    }

    /// The task representing a CPU's boot context, which becomes its idle task.
    pub fn new_idle(cpu: usize) -> Arc<Task> {
        Arc::new(Task {
            id: { LIVE.fetch_add(1, Ordering::Relaxed); NEXT_ID.fetch_add(1, Ordering::Relaxed) },
            name: "idle",
            priority: Priority::Low,
            state: AtomicU8::new(TaskState::Running as u8),
            on_cpu: AtomicBool::new(true),
            cpu: AtomicUsize::new(cpu),
            affinity: AtomicU64::new(CpuMask::single(cpu).0),
            spread: AtomicBool::new(false),
            stealable: AtomicBool::new(false),
            cr3: AtomicU64::new(crate::mm::kernel_space::kernel_pml4()),
            fs_base: AtomicU64::new(0),
            syscall_abi: AtomicU8::new(0),
            wake_tick: AtomicU64::new(0),
            log_pid: 0,
            user_work: AtomicBool::new(false),
            interruptible: AtomicBool::new(false),
            saved_rsp: UnsafeCell::new(0),
            kstack: None,
            fx: None,
            data: TaskData::none(),
            entry: UnsafeCell::new(None),
        })
    }

    pub fn state(&self) -> TaskState {
        TaskState::from_u8(self.state.load(Ordering::Acquire))
    }

    pub fn set_state(&self, s: TaskState) {
        self.state.store(s as u8, Ordering::Release);
    }

    /// Atomically move from `from` to `to`; false if the state was not `from`.
    pub fn transition(&self, from: TaskState, to: TaskState) -> bool {
        self.state.compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// The CPUs this task may run on.
    #[inline(always)]
    pub fn affinity(&self) -> CpuMask {
        CpuMask(self.affinity.load(Ordering::Relaxed))
    }

    /// Store a new mask (`SeqCst`: see `affinity.rs`), and `spread` first
    /// (a queue reading a stale `spread` only miscounts how many tasks
    /// might be stealable, a hint; what it counted in it counts out).
    pub(super) fn set_affinity(&self, mask: CpuMask) {
        self.spread.store(mask.only().is_none(), Ordering::Relaxed);
        self.affinity.store(mask.0, Ordering::SeqCst);
    }

    /// Whether this task may run on `cpu`: one load and a bit test (hot:
    /// every yield, wake and pick).
    #[inline(always)]
    pub fn allowed(&self, cpu: usize) -> bool {
        self.affinity().contains(cpu)
    }

    pub fn is_idle(&self) -> bool {
        self.kstack.is_none()
    }

    /// Top of the kernel stack (RSP0 while this task runs user code).
    pub fn kernel_stack_top(&self) -> u64 {
        self.kstack.as_ref().map_or(0, |s| s.top())
    }

    /// Whether this task runs user code (it has an FPU area to switch).
    pub fn is_user(&self) -> bool {
        self.fx.is_some()
    }

    /// The trap frame at the top of a user task's kernel stack: the user
    /// registers saved at its last entry into the kernel.
    ///
    /// # Safety
    /// Only the task itself (running, in the kernel) may use this, since the
    /// frame belongs to its current kernel entry.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn user_frame(&self) -> &mut crate::arch::trap::TrapFrame {
        let top = self.kernel_stack_top();
        let frame = top - core::mem::size_of::<crate::arch::trap::TrapFrame>() as u64;
        // SAFETY: every entry from ring 3 pushes its frame at the very top of
        // the task's kernel stack (RSP0 / the syscall stack); the caller is
        // that task.
        unsafe { &mut *(frame as *mut crate::arch::trap::TrapFrame) }
    }

    /// Save the live FPU/SSE registers into this task's area (the caller is
    /// this task, running). Used by fork before copying the state.
    pub fn save_fpu_now(&self) {
        if let Some(fx) = &self.fx {
            // SAFETY: the caller is the running task, so nobody else touches its area.
            unsafe { context::fxsave(&mut *fx.get()) };
        }
    }

    /// A copy of this task's saved FPU area (call `save_fpu_now` first).
    pub fn fpu_copy(&self) -> Box<FxArea> {
        let mut copy = FxArea::new_default();
        if let Some(fx) = &self.fx {
            // SAFETY: the caller is the running task (see `save_fpu_now`).
            copy.0.copy_from_slice(unsafe { &(**fx.get()).0 });
        }
        copy
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}
