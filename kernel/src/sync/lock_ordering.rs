//! The kernel's lock hierarchy, and its run-time check.
//!
//! Every lock has a [`LockLevel`]. A CPU may only acquire a lock whose level
//! is strictly greater than every level it already holds; the levels below
//! are listed outermost first. No two locks of one level are ever held at
//! once (a CPU takes one run queue at a time, one process at a time).
//!
//! With debug assertions on, each CPU records how many locks of each level
//! it holds; an out-of-order acquisition panics naming both locks' levels.
//! The rule itself is the host-tested `lockorder` crate ([`Record`]); this
//! file keeps the levels and the per-CPU storage (one `Cell<u8>` count per
//! level in the per-CPU area), loading the record from it and storing it
//! back around each check.
//!
//! An interrupt handler is a separate context: it can only have interrupted
//! code that holds plain `SpinLock`s (an `IrqSpinLock` holder has interrupts
//! off), and it may only take `IrqSpinLock`s, never those plain locks. So it
//! starts with an empty record ([`InterruptScope`]) and the interrupted
//! code's record comes back when it returns.
//! The record lives in the per-CPU area and is touched only with interrupts
//! off or preemption disabled, by its own CPU.

use crate::arch::percpu;
use core::cell::Cell;

/// Lock levels, outermost (taken first) to innermost (taken last).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum LockLevel {
    /// An open file's position (`fs::file`), held across one whole read,
    /// write, lseek or getdents of a seekable file, user copies included
    /// (so it ranks above, i.e. before, `AddressSpace`; procfs generates
    /// its text under it, so it is outside the process locks too).
    File = 0,
    /// The process table (pid allocation, parent/child links).
    ProcessTable = 1,
    /// One process's mutable state (state, exit status, children).
    Process = 2,
    /// One process's signal state (`user::signal`: actions, pending and
    /// blocked sets, job-control state). An `IrqSpinLock`: terminal input
    /// interrupts send signals. Taken under `ProcessTable` (a group kill),
    /// never with `Process` held; inside it only wake-ups and the heap.
    Signal = 3,
    /// One process's file-descriptor table and cwd (`fs::fdtable`).
    FdTable = 4,
    /// One filesystem instance (`fs::vfs`: tmpfs root, devfs), one at a time.
    Filesystem = 5,
    /// The mount table's published snapshot (`fs::vfs`), taken alone.
    Mounts = 6,
    /// The character-device registry (`fs::dev`), taken alone.
    DeviceRegistry = 7,
    /// A pipe's buffer and ends (`fs::pipe`); held across user copies.
    Pipe = 8,
    /// The futex wait list (`user::futex`); held while the futex word is
    /// read from user memory, so it ranks before `AddressSpace`.
    Futex = 9,
    /// A process's address space (page tables, regions).
    AddressSpace = 10,
    /// An IPC port's queue and waiters.
    Port = 11,
    /// A terminal's line discipline and input backlog (`tty::Terminal`):
    /// taken by readers and writers and by the serial/keyboard interrupt
    /// handlers; inside it only pollee waiter lists, the heap and console
    /// output. Signals it raises are delivered after it is released.
    Terminal = 12,
    /// Wait queues (sleepers on timers, children, ports).
    WaitQueue = 13,
    /// Per-CPU run queues.
    RunQueue = 14,
    /// The kernel page tables, and the kernel-stack slot map.
    KernelPageTable = 15,
    /// The physical frame allocator and frame reference counts.
    FrameAllocator = 16,
    /// The kernel heap.
    Heap = 17,
    /// Hardware with a lock of its own (LAPIC calibration, IOAPIC, ...).
    Device = 18,
    /// Console output (serial, framebuffer); innermost so anything may log.
    Console = 19,
}

/// Number of levels.
pub const LEVELS: usize = LockLevel::Console as usize + 1;

/// The rule's record for the kernel's levels.
pub type Record = lockorder::Held<LockLevel, LEVELS>;

impl lockorder::Level for LockLevel {
    fn rank(self) -> usize {
        self as usize
    }
    fn from_rank(rank: usize) -> Option<LockLevel> {
        LEVEL_NAMES.get(rank).copied()
    }
}

fn load(cells: &[Cell<u8>; LEVELS]) -> Record {
    Record::from_counts(cells.each_ref().map(Cell::get))
}

fn store(cells: &[Cell<u8>; LEVELS], record: Record) {
    for (cell, count) in cells.iter().zip(record.counts()) {
        cell.set(count);
    }
}

/// Record that this CPU is about to take a lock of `level` named `name`.
#[inline]
pub fn will_acquire(level: LockLevel, name: &'static str) {
    if !cfg!(debug_assertions) {
        return;
    }
    let Some(cpu) = percpu::try_this_cpu() else { return };
    let mut record = load(cpu.held_locks());
    if let Err(inversion) = record.acquire(level) {
        panic!(
            "lock order violation: '{}': {} (last taken: '{}')",
            name,
            inversion,
            cpu.last_lock_name()
        );
    }
    store(cpu.held_locks(), record);
    cpu.set_last_lock_name(name);
}

/// Record that this CPU released a lock of `level`.
#[inline]
pub fn released(level: LockLevel) {
    if !cfg!(debug_assertions) {
        return;
    }
    let Some(cpu) = percpu::try_this_cpu() else { return };
    let mut record = load(cpu.held_locks());
    if let Err(not_held) = record.release(level) {
        panic!("lock order record: {}", not_held);
    }
    store(cpu.held_locks(), record);
}

/// Whether this CPU holds any lock (always false without debug assertions).
pub fn holds_any() -> bool {
    cfg!(debug_assertions)
        && percpu::try_this_cpu().is_some_and(|cpu| load(cpu.held_locks()).holds_any())
}

/// The lock record of the code an interrupt handler interrupted, put aside
/// for the handler's duration.
pub struct InterruptScope {
    saved: Record,
}

impl InterruptScope {
    /// Enter interrupt context on this CPU (interrupts are off).
    #[inline]
    pub fn enter() -> Self {
        let mut saved = Record::new();
        if cfg!(debug_assertions) {
            if let Some(cpu) = percpu::try_this_cpu() {
                saved = load(cpu.held_locks());
                store(cpu.held_locks(), Record::new());
            }
        }
        InterruptScope { saved }
    }
}

impl Drop for InterruptScope {
    #[inline]
    fn drop(&mut self) {
        if cfg!(debug_assertions) {
            if let Some(cpu) = percpu::try_this_cpu() {
                let handler = load(cpu.held_locks());
                debug_assert!(!handler.holds_any(), "an interrupt handler returned holding {:?}", handler);
                store(cpu.held_locks(), self.saved);
            }
        }
    }
}

const LEVEL_NAMES: [LockLevel; LEVELS] = [
    LockLevel::File,
    LockLevel::ProcessTable,
    LockLevel::Process,
    LockLevel::Signal,
    LockLevel::FdTable,
    LockLevel::Filesystem,
    LockLevel::Mounts,
    LockLevel::DeviceRegistry,
    LockLevel::Pipe,
    LockLevel::Futex,
    LockLevel::AddressSpace,
    LockLevel::Port,
    LockLevel::Terminal,
    LockLevel::WaitQueue,
    LockLevel::RunQueue,
    LockLevel::KernelPageTable,
    LockLevel::FrameAllocator,
    LockLevel::Heap,
    LockLevel::Device,
    LockLevel::Console,
];
