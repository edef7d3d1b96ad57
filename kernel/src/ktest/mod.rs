//! The in-kernel test suite (`ktest` on the command line).
//!
//! Tests are plain functions returning `Result<(), String>`, grouped by
//! subsystem in the files of this module. [`spawn_suite`] runs them in a
//! kernel task (so they may sleep, block and spawn tasks), prints one line
//! per test and a final `[KTEST] N passed, M failed`, the kernel metrics,
//! and powers the machine off. The test harness (tools/testing) requires
//! that final line with `0 failed`, and the power-off.

#![forbid(unsafe_code)]

mod affinity_tests;
mod crash_tests;
mod helpers;
mod ipc_tests;
mod irq_tests;
mod lockup_tests;
mod log_tests;
mod poll_tests;
mod preempt_tests;
mod sched_sleep_tests;
mod sched_tests;
mod smp_stress_tests;
mod smp_tests;
mod terminal_tests;
mod time_tests;
mod tty_tests;
mod user_tests;

use alloc::string::String;
pub use crate::selftest::Test;

/// Start the suite in its own kernel task. `only`, if not empty, limits
/// it to the groups whose names it lists (`ktest=SCHED,IPC`).
pub fn spawn_suite(boot: &crate::bootinfo::BootInfo, only: &str) {
    crate::user::initrd::init(boot);
    let only = String::from(only);
    crate::sched::spawn_task("ktest", move || run_all(&only), crate::sched::Priority::Normal).expect("spawn ktest");
}

fn run_all(only: &str) {
    // The boot is over: scheduler tracing leaves the console, so that it
    // cannot land between the characters a test echoes (tty-smp2's
    // keyboard echo once got an `[SCHED] Enqueued ...` line inside it).
    crate::kmsg::end_of_boot();
    let groups: &[(&str, &[Test])] = &[
        ("MM", crate::mm::selftest::TESTS),
        ("SCHED", sched_tests::TESTS),
        ("PREEMPT", preempt_tests::TESTS),
        ("AFFINITY", affinity_tests::TESTS),
        ("IPC", ipc_tests::TESTS),
        ("SMP", smp_tests::TESTS),
        ("STRESS", smp_stress_tests::TESTS),
        ("IRQ", irq_tests::TESTS),
        ("TIME", time_tests::TESTS),
        ("USER", user_tests::TESTS),
        ("LOG", log_tests::TESTS),
        ("POLL", poll_tests::TESTS),
        ("TERMINAL", terminal_tests::TESTS),
        ("CRASH", crash_tests::TESTS),
        ("LOCKUP", lockup_tests::TESTS),
        ("TTY", tty_tests::TESTS),
    ];
    let (mut passed, mut failed) = (0, 0);
    // CRASH (deliberate kernel faults), LOCKUP (a deliberate 25 s stall the
    // harness must expect) and TTY (needs typed input from the harness) run
    // only when named.
    let named = |g: &str| only.split(',').any(|o| o.eq_ignore_ascii_case(g));
    let selected = |g: &str| if matches!(g, "CRASH" | "LOCKUP" | "TTY") { named(g) } else { only.is_empty() || named(g) };
    for (group, tests) in groups.iter().filter(|(g, _)| selected(g)) {
        crate::klog!("KTEST", "---- {} ----", group);
        for (name, test) in tests.iter() {
            match test() {
                Ok(()) => {
                    passed += 1;
                    crate::klog!("KTEST", "{} ... ok", name);
                }
                Err(why) => {
                    failed += 1;
                    crate::klog!("KTEST", "{} ... FAILED: {}", name, why);
                }
            }
        }
    }
    crate::metrics::print();
    crate::klog!("KTEST", "{} passed, {} failed", passed, failed);
    crate::arch::acpi::poweroff();
}
