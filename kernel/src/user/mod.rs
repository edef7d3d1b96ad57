//! User mode: processes, their address spaces and their life cycle.
//!
//! * [`spawn_init`] loads the first program from the root filesystem (the
//!   unpacked ramdisk) as PID 1, with fds 0, 1, 2 open on `/dev/console`.
//! * [`fork()`] (and [`fork_with`] for Linux's `clone`/`vfork`, in `fork`), [`exec`],
//!   [`exit_current`] and [`wait`] implement the system calls of the same
//!   names (the README's ABI); both personalities share them.
//! * [`init`] registers the user layer's hooks with the framework: page
//!   faults on user addresses are resolved in the current process's
//!   address space (copy-on-write, lazy pages); any other user exception
//!   kills only the faulting process (`128 + signal`), or for a Linux
//!   process raises the signal, which a handler may catch (`fault`); and
//!   the resume hook delivers signals on every return to user mode
//!   (`sigdeliver`). The terminal's ^C/^Z/^\ go to its foreground group
//!   (`jobctl`).
//!
//! When PID 1 exits the kernel prints `[KERNEL] init exited with code N`
//! and powers the machine off.

#![forbid(unsafe_code)]

mod fault;
mod fork;
pub mod futex;
pub mod initrd;
pub mod jobctl;
pub mod loader;
mod oom;
pub mod personality;
pub mod process;
mod script;
mod sigdeliver;
mod sigframe;
mod sigsend;
pub mod signal;
pub mod thread;
pub use crate::mm::uaccess;

use crate::arch::trap::TrapFrame;
use crate::error::{Errno, SysResult};
use crate::mm::fault::PageFault;
use crate::sched::{self, task::Task, TaskData};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
pub use fork::{fork, fork_with, wait_vfork, ForkOpts};
pub use process::{Exit, Pid, Process, Thread, INIT_PID};
pub use sigdeliver::{note_restart, rt_sigreturn};
pub use sigframe::on_stack as sigframe_on_stack;

/// Register the user layer's hooks with the framework and the terminals.
pub fn init() {
    crate::mm::fault::set_user_handler(resolve_user_page_fault);
    crate::arch::exceptions::set_user_fault_hook(fault::on_user_fault);
    crate::sched::set_resume_hook(sigdeliver::on_resume);
    crate::tty::set_signal_hook(Some(jobctl::terminal_signal));
    crate::mm::fault_inject::set_exempt_hook(|| current_pid() == Some(INIT_PID));
}

/// The current task's process, if it is a user task.
pub fn current_process() -> Option<Arc<Process>> {
    sched::with_current(|t| t.data.get::<Thread>().map(|th| th.proc.clone()))
}

/// The current task's thread, if it is a user task.
pub fn current_thread() -> Option<Arc<Thread>> {
    sched::with_current(|t| t.data.get_arc::<Thread>())
}

/// Pid (thread-group id) of the current process, if any.
#[inline]
pub fn current_pid() -> Option<Pid> {
    sched::with_current(|t| t.data.get::<Thread>().map(|th| th.proc.pid))
}

/// Tid of the current thread, if any.
#[inline]
pub fn current_tid() -> Option<Pid> {
    sched::with_current(|t| t.data.get::<Thread>().map(|th| th.tid()))
}

/// The data slot of the first thread of `proc` (its tid is the pid).
fn first_thread(proc: &Arc<Process>) -> TaskData {
    TaskData::new(Arc::new(Thread { tid: core::sync::atomic::AtomicUsize::new(proc.pid), proc: proc.clone() }))
}

/// Start `path` from the ramdisk as PID 1 (with `extra` arguments).
///
/// A name without a slash (`init=forkloop`) is looked up in `/bin`. If init
/// cannot start, the log says why and lists what `/bin` holds.
// Not inlined into the kernel's entry: its frame (a thread's signal state
// is built on the stack) would make kernel_main's frame a stack-probed one.
#[inline(never)]
pub fn spawn_init(path: &str, extra: &[&str], boot: &crate::bootinfo::BootInfo) {
    initrd::init(boot);
    let full = if path.contains('/') { String::from(path) } else { alloc::format!("/bin/{path}") };
    crate::klog!("INIT", "Loading init process from {}", full);
    let mut argv: Vec<&str> = alloc::vec![&full];
    argv.extend_from_slice(extra);
    crate::kmsg::end_of_boot();
    let started = spawn_as(&full, &argv, true);
    // Booting (and loading init, which is exempt) may assume memory; from
    // here on, injected allocation failures (failslab=/failframe=) start.
    if started.is_ok() && crate::mm::fault_inject::enabled() {
        crate::klog!("KERNEL", "fault injection on (failslab/failframe): allocations fail from here on");
        crate::mm::fault_inject::arm();
    }
    if let Err(e) = started {
        crate::klog!("INIT", "cannot start {}: {} ({})", full, e.name(), e.message());
        // Programs first; symlinks (busybox's applets) only counted, or
        // the line would be cut before the programs.
        let root = crate::fs::mounts::root();
        let (links, files): (Vec<String>, Vec<String>) = initrd::list_dir("/bin").into_iter().partition(|name| {
            let path = alloc::format!("/bin/{name}");
            crate::fs::open::stat(root, path.as_bytes(), false).is_ok_and(|st| st.mode & mello_abi::fs::S_IFMT == mello_abi::fs::S_IFLNK)
        });
        crate::klog!("INIT", "programs in /bin: {}{}", files.join(" "),
            if links.is_empty() { String::new() } else { alloc::format!(" (and {} symlinks, e.g. {})", links.len(), links[..links.len().min(5)].join(" ")) });
        crate::klog!("KERNEL", "init exited with code 127");
        crate::arch::acpi::poweroff();
    }
}

/// Start program `path` from the root filesystem as a new process without a parent
/// (init, or a program run by the kernel's own tests).
pub fn spawn(path: &str, argv: &[&str]) -> Result<Arc<Process>, Errno> {
    spawn_as(path, argv, false)
}

fn spawn_as(path: &str, argv: &[&str], is_init: bool) -> Result<Arc<Process>, Errno> {
    let argv: Vec<Vec<u8>> = argv.iter().map(|a| a.as_bytes().to_vec()).collect();
    let program = script::resolve(crate::fs::mounts::root(), path.as_bytes(), &argv)?;
    let argv = program.argv;
    // An unbranded init gets `abi=`; programs the kernel runs itself, native.
    let caller = if is_init { personality::init_default() } else { personality::Personality::Native };
    let image = loader::load(&program.file, &loader::Exec { path, argv: &argv, envp: &[], caller })?;
    let (entry, sp) = (image.entry, image.stack_pointer);
    let mut files = console_files();
    files.exe = crate::fs::fdpath::exe_of(crate::fs::mounts::root(), &program.path);
    let proc = process::create(None, path, image.space, files, is_init)?;
    *proc.cmdline.lock() = cmdline_of(&argv);
    let frame = TrapFrame::new_user(entry, sp);
    let name = if is_init { "init" } else { "user" };
    let task = Task::new_user(name, proc.pid, first_thread(&proc), &frame, sched::task::FxArea::new_default(), proc.root())
        .map_err(Errno::from)
        .and_then(|task| {
            let no_stack = mello_abi::linux::sigframe::StackT { sp: 0, flags: mello_abi::linux::signal::SS_DISABLE, size: 0 };
            proc.signals.attach(signal::ThreadSig::new(proc.pid, &task, 0, no_stack))?;
            Ok(task)
        });
    match task {
        Ok(task) => {
            personality::set(&proc, &task, image.personality);
            sched::start(task)
        }
        Err(e) => {
            process::make_zombie(&proc, Exit::Code(0));
            process::reap_parentless(proc.pid);
            return Err(e);
        }
    }
    Ok(proc)
}

/// `exec`: replace the current image with the program at `path`.
pub fn exec(path: &str, argv: &[Vec<u8>]) -> SysResult {
    exec_env(path, argv, &[])
}

/// `exec` with an environment (Linux's `execve`). The personality is chosen
/// from the new program's brand, else kept (`user::personality`).
pub fn exec_env(path: &str, argv: &[Vec<u8>], envp: &[Vec<u8>]) -> SysResult {
    let proc = current_process().ok_or(Errno::EINVAL)?;
    let cwd = proc.files.lock().cwd_loc();
    let program = script::resolve(cwd, path.as_bytes(), argv)?;
    let argv = &program.argv[..];
    let exec = loader::Exec { path, argv, envp, caller: proc.personality.get() };
    let image = loader::load(&program.file, &exec)?;
    let exe = crate::fs::fdpath::exe_of(cwd, &program.path);
    // The point of no return: the other threads end first (Linux's de_thread).
    thread::end_others_for_exec(&proc)?;
    sched::with_current(|t| personality::set(&proc, t, image.personality));
    crate::kdebug!("EXEC", "pid {}: {} ({} personality)", proc.pid, path, image.personality.name());
    proc.signals.reset_on_exec();
    sched::set_current_fs_base(0);
    image.space.activate();
    let old = proc.space.lock().replace(image.space);
    sched::with_user_frame(|f| *f = TrapFrame::new_user(image.entry, image.stack_pointer));
    drop(old); // no CPU has the old space loaded any more
    *proc.name.lock() = String::from(path);
    *proc.cmdline.lock() = cmdline_of(argv);
    let (closed, old_exe) = {
        let mut files = proc.files.lock();
        (files.fds.take_cloexec(), core::mem::replace(&mut files.exe, exe))
    };
    drop(old_exe);
    drop(closed); // close-on-exec descriptors, released outside the lock
    {
        let mut inner = proc.inner.lock();
        inner.did_exec = true;
        inner.vfork_done = true;
        inner.vfork_waiters.wake_all();
    }
    Ok(0)
}

/// `exit_group` (and fault kills): end the whole current process with
/// `status`. Does not return.
pub fn exit_current(status: i32) -> ! {
    exit_as(Exit::Code(status as u8))
}

/// End the current process as `exit` says (an exit code or a signal): every
/// thread ends; the last one out makes the zombie (`thread::exit_thread`).
pub fn exit_as(exit: Exit) -> ! {
    let Some(proc) = current_process() else {
        panic!("exit_current from a kernel task");
    };
    signal::begin_group_exit(&proc, exit);
    drop(proc);
    thread::exit_thread(exit)
}

/// The files a process the kernel starts gets: 0, 1 and 2 sharing one
/// description of `/dev/console` (read-write), as Linux gives init. If the
/// console cannot be opened the process starts with none (and says so).
fn console_files() -> crate::fs::ProcFiles {
    let mut files = crate::fs::ProcFiles::default();
    let root = crate::fs::mounts::root();
    match crate::fs::open::open(root, b"/dev/console", mello_abi::fs::O_RDWR, 0) {
        Ok(console) => {
            for _ in 0..3 {
                let _ = files.fds.alloc(console.clone(), false, 0);
            }
        }
        Err(e) => crate::klog!("INIT", "cannot open /dev/console: {}", e.name()),
    }
    files
}

/// `argv` as `/proc/N/cmdline` shows it: each argument NUL-terminated.
fn cmdline_of(argv: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for arg in argv {
        out.extend_from_slice(arg);
        out.push(0);
    }
    out
}

/// `wait`: reap a child; returns its pid and writes its status.
pub fn wait(pid: isize, status_ptr: usize) -> SysResult {
    let me = current_process().ok_or(Errno::EINVAL)?;
    if status_ptr != 0 {
        // Fail early on an obviously bad pointer, before reaping anything.
        uaccess::UserSlice::new(status_ptr, 4)?;
    }
    let (child, exit) = match process::wait_child(&me, &process::WaitReq::native(pid))? {
        process::Waited::Exited(pid, exit) => (pid, exit),
        _ => return Err(Errno::ECHILD), // exits only were asked for
    };
    if status_ptr != 0 {
        uaccess::write_i32(status_ptr, exit.native_status())?;
    }
    Ok(child)
}

/// Page fault on a user address: resolve copy-on-write writes and first
/// touches of lazy regions (the stack) in the current process's space.
fn resolve_user_page_fault(fault: &PageFault) -> bool {
    if fault.reserved {
        return false;
    }
    let Some(proc) = current_process() else { return false };
    let resolved = proc.space.lock().as_mut().map(|s| s.resolve_fault(fault));
    match resolved {
        Some(Ok(resolved)) => resolved,
        // From user mode: the OOM killer frees memory, the access is retried.
        // From a user copy: the call fails with EFAULT (as Linux's fixup).
        Some(Err(_)) => fault.user && oom::out_of_memory(&proc),
        None => false,
    }
}

