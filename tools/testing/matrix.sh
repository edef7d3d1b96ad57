# shellcheck shell=bash
# matrix.sh - the tests run_all.sh runs, sourced by it (from the repository
# root, after its traps): every QEMU test as a row `add NAME COMMAND` (the
# qemu_test.py rows built with q, which quotes the harness's arguments),
# longest first so that the parallel slots stay busy, and every host test
# as `hadd NAME COMMAND`. Defines the arrays run_all.sh reads:
#   tests, cmds        the QEMU matrix: names in order; name -> command
#   host_tests, host_cmds  the host tests: names in order; name -> command
# A new test is one row here and one row of tools/testing/README.md's
# matrix (tools/testing/test_matrix_doc.py checks that they agree).
# shellcheck disable=SC2034  # the arrays are run_all.sh's
qemu_test=tools/testing/qemu_test.py

# The bench smoke needs one well-formed line per operation.
step="reading tools/bench/ops.txt"
mapfile -t bench_ops <tools/bench/ops.txt
bench_expect=(--expect '^\[BENCH\] done$' --forbid '^\[ERROR\]')
for op in "${bench_ops[@]}"; do
    bench_expect+=(--expect "^\\[BENCH\\] name=$op n=[0-9]+ total=[0-9]+ per_op=[0-9]+\$")
done
init_expect=(--expect '^Hello from userland!$' --expect "^I'm the child!\$")
utest_expect=(--expect '^\[UTEST\] [0-9]+ passed, 0 failed$'
    --expect '^\[ECHO\] argc=5: /bin/echo-args -x y /test/scripts/args.sh a b$'
    --expect '^\[ECHO\] argc=5: /bin/echo-args -x y /test/scripts/args.sh /test/scripts/nested.sh c$')

# name | command (run from the repository root). Longest first, so the
# parallel slots stay busy.
tests=()
declare -A cmds
add() { tests+=("$1"); cmds["$1"]="${*:2}"; }
q() { printf '%q ' "$qemu_test" "$@"; }
add utest-smp1      "$(q utest-smp1 --cmdline 'init=/bin/utest -- cpus=1' --smp 1 --qemu-arg=-icount --qemu-arg=shift=0 \
    "${utest_expect[@]}" --expect '^\[UTEST\] syscall latency: [0-9]+ instructions/call$' --timeout 240)"
add utest-smp4      "$(q utest-smp4 --cmdline 'init=/bin/utest -- cpus=4' --smp 4 "${utest_expect[@]}" \
    --expect '^\[FAULT\] pid [0-9]+ killed: Page Fault at rip=0x[0-9a-f]+ in [A-Za-z_:<>{}]+[+]0x[0-9a-f]+ \(programs/utest/src/faults\.rs:[0-9]+\) \(addr=0x0, ' \
    --expect '^\[FAULT\] pid [0-9]+ killed: stack overflow: Page Fault at rip=0x[0-9a-f]+ .*addr=0x7ff'  --timeout 180)"
add shared-bench-linux  "tools/bench/shared/run.sh linux --smoke build/test/shared-bench"
add shared-bench-mellos "tools/bench/shared/run.sh mellos --smoke build/test/shared-bench"
add ktest-smp16     "$(q ktest-smp16 --cmdline ktest --smp 16 --expect '^\[KTEST\] smp: 16 CPUs online' --timeout 480)"
add bench-smoke     "$(q bench-smoke --cmdline 'init=/bin/bench -- 10' --smp 1 --qemu-arg=-icount --qemu-arg=shift=0 "${bench_expect[@]}" --timeout 240)"
add ktest-smp8      "$(q ktest-smp8 --cmdline ktest --smp 8 --expect '^\[KTEST\] smp: 8 CPUs online' --timeout 480)"
add ktest-uefi-smp2 "$(q ktest-uefi-smp2 --cmdline ktest --smp 2 --firmware uefi --expect '^\[KTEST\] smp: 2 CPUs online' --timeout 300)"
add init-uefi-smp2  "$(q init-uefi-smp2 --cmdline '-- demo' --smp 2 --firmware uefi "${init_expect[@]}" --timeout 120)"
add ktest-q35-smp4  "$(q ktest-q35-smp4 --cmdline ktest --smp 4 --machine q35 --expect '^\[KTEST\] smp: 4 CPUs online' --timeout 300)"
add ktest-q35-smp16 "$(q ktest-q35-smp16 --cmdline ktest --smp 16 --machine q35 --expect '^\[KTEST\] smp: 16 CPUs online' --timeout 480)"
add ktest-q35-smp1  "$(q ktest-q35-smp1 --cmdline ktest --smp 1 --machine q35 --expect '^\[KTEST\] smp: 1 CPUs online' --timeout 300)"
add ktest-uefi-q35-smp8 "$(q ktest-uefi-q35-smp8 --cmdline ktest --smp 8 --machine q35 --firmware uefi --expect '^\[KTEST\] smp: 8 CPUs online' --timeout 480)"
add ktest-smp4      "$(q ktest-smp4 --cmdline ktest --smp 4 --expect '^\[KTEST\] smp: 4 CPUs online' --timeout 300)"
add ktest-smp2      "$(q ktest-smp2 --cmdline ktest --smp 2 --expect '^\[KTEST\] smp: 2 CPUs online' --timeout 300)"
add ktest-smp1      "$(q ktest-smp1 --cmdline ktest --smp 1 --expect '^\[KTEST\] smp: 1 CPUs online' --timeout 300)"
add init-smp4       "$(q init-smp4 --cmdline '-- demo' --smp 4 "${init_expect[@]}" --timeout 120)"
add crash-smp4      "$(q crash-smp4 --cmdline 'ktest=CRASH' --smp 4 --expect-panic \
    --expect '^\[FAULT\] KERNEL EXCEPTION: Page Fault \(vector 14\) on CPU [0-9]+$' \
    --expect '^\[FAULT\] CR2=0xffffafffffe00000 error=0x2 \(page not present, write, kernel mode\)$' \
    --expect '^\[FAULT\] RIP=0x[0-9a-f]+ ' \
    --expect '^\[PANIC\] =+ KERNEL PANIC on CPU [0-9]+ =+$' \
    --expect 'kernel::ktest::crash_tests::write_unmapped' --timeout 120)"
add init-byname-smp1 "$(q init-byname-smp1 --cmdline 'init=forkloop' --smp 1 --expect '^\[INIT\] Loading init process from /bin/forkloop$' \
    --expect '^\[FORKLOOP\] 1000 rounds, 0 errors$' --timeout 150)"
add init-missing-smp1 "$(q init-missing-smp1 --cmdline 'init=nosuch' --smp 1 --done '\[KERNEL\] init exited with code 127' \
    --expect '^\[INIT\] cannot start /bin/nosuch: ENOENT \(No such file or directory\)$' \
    --expect '^\[INIT\] programs in /bin: .*\binit\b.*\btrue\b' --timeout 120)"
add lockup-smp2     "$(q lockup-smp2 --cmdline 'ktest=LOCKUP' --smp 2 --expect-watchdog --done '^\[KTEST\] 1 passed, 0 failed$' \
    --expect '^\[WATCHDOG\] CPU 1 took no timer tick for 20 s' \
    --expect '^\[WATCHDOG\] CPU 1: no timer tick for 20 s; interrupted at 0x[0-9a-f]+ <kernel::ktest::lockup_tests::spin_irqs_off' \
    --expect '^\[WATCHDOG\]   #0 ' --timeout 180)"
add tty-smp2        "$(q tty-smp2 --cmdline 'ktest=TTY' --smp 2 \
    --after '^\[TTY\] ready: serial canonical$' --type 'hello\r' \
    --after '^\[TTY\] ready: serial erase$' --type 'worxx\x7f\x7fld\r' \
    --after '^\[TTY\] ready: serial signal$' --type 'junk\x03ok\r' \
    --after '^\[TTY\] ready: keyboard$' --sendkey 'h i ret' \
    --after '^\[TTY\] ready: keyboard shift$' --sendkey 'shift-h i x backspace caps_lock a caps_lock ret' \
    --after '^\[TTY\] ready: keyboard ctrl-c$' --sendkey 'a ctrl-c b ret' \
    --after '^\[TTY\] ready: raw$' --type 'ab\x03\r' \
    --expect '^\[TTY\] canonical read: "hello\\n"$' --expect-raw '^hello\r$' \
    --expect '^\[TTY\] erase read: "world\\n"$' --expect-raw '^worxx\x08 \x08\x08 \x08ld\r$' \
    --expect '^\[TTY\] signal hook: SIGINT \(2\) from console$' \
    --expect '^\[TTY\] after \^C read: "ok\\n"$' --expect-raw '^(junk)?\^C' \
    --expect '^\[TTY\] keyboard read: "hi\\n"$' --expect-raw '^hi\r$' \
    --expect '^\[TTY\] keyboard shift read: "HiA\\n"$' --expect-raw '^Hix\x08 \x08A\r$' \
    --expect '^\[TTY\] keyboard after ctrl-c read: "b\\n"$' --expect-raw '^a\^C' --expect-raw '^b\r$' \
    --expect '^\[TTY\] raw byte 1: 0x61$' --expect '^\[TTY\] raw byte 2: 0x62$' \
    --expect '^\[TTY\] raw byte 3: 0x03$' --expect '^\[TTY\] raw byte 4: 0x0d$' \
    --expect '^\[TTY\] raw: 4 bytes, 0 echoed, no signal ' --timeout 150)"
add tty-user-smp2   "$(q tty-user-smp2 --cmdline 'init=/bin/ttyecho' --smp 2 \
    --after '^\[TTYECHO\] ready: canonical$' --type 'hello\r' \
    --after '^\[TTYECHO\] ready: canonical erase$' --sendkey 'w o r x backspace l d ret' \
    --after '^\[TTYECHO\] ready: raw$' --type 'a\x03b\r' \
    --expect '^\[TTYECHO\] canonical read: "hello\\n"$' --expect-raw '^hello\r$' \
    --expect '^\[TTYECHO\] canonical erase read: "world\\n"$' --expect-raw '^worx\x08 \x08ld\r$' \
    --expect '^\[TTYECHO\] raw read 1: 1 byte\(s\) "a"$' --expect '^\[TTYECHO\] raw read 2: 1 byte\(s\) "\\x03"$' \
    --expect '^\[TTYECHO\] raw read 3: 1 byte\(s\) "b"$' --expect '^\[TTYECHO\] raw read 4: 1 byte\(s\) "\\n"$' \
    --expect '^\[TTYECHO\] settings restored: true$' --forbid '^\[TTYECHO\] error' --timeout 150)"
add forkloop-smp2   "$(q forkloop-smp2 --cmdline 'init=/bin/forkloop' --smp 2 --expect '^\[FORKLOOP\] 1000 rounds, 0 errors$' --timeout 150)"
# Native threads (userspace/programs/threads): libmello's thread::spawn,
# join and Mutex (8 x 100,000 adds), thread_exit, a fault killing every
# thread, the calls' argument checks, 1,000 spawn/join cycles without a leak.
threads_expect=(--expect '^\[THREADS\] counter: 800000 = 8 threads x 100000$'
    --expect '^\[THREADS\] leak check: kstacks [0-9]+ -> [0-9]+$'
    --expect '^\[FAULT\] pid [0-9]+ killed: Page Fault at rip=0x[0-9a-f]+ .*\(addr=0x0, '
    --expect '^\[THREADS\] 9 passed, 0 failed$' --expect '^\[THREADS\] all thread tests passed$'
    --forbid '^\[THREADS\] .* FAILED' --done '\[KERNEL\] init exited with code 0')
add threads-native-smp1 "$(q threads-native-smp1 --cmdline 'init=/bin/threads' --smp 1 "${threads_expect[@]}" --timeout 300)"
add threads-native-smp4 "$(q threads-native-smp4 --cmdline 'init=/bin/threads' --smp 4 "${threads_expect[@]}" --timeout 300)"
# Unmodified static musl programs (tests/linux/c) as init under the Linux
# personality, output compared byte for byte with Linux's.
# abi=linux does not touch a branded native init: its MelloOS note wins.
add init-abilinux-smp1 "$(q init-abilinux-smp1 --cmdline 'abi=linux -- demo' --smp 1 "${init_expect[@]}" --forbid '^\[LINUX\]' --forbid "ignoring option 'abi=" --timeout 120)"
# The system-call fuzzer (userspace/programs/fuzz) as init: 200,000 calls by
# 4 workers on 2 CPUs, fixed seed; no finding, no leak, no user fault.
add fuzz-smp2       "$(q fuzz-smp2 --cmdline 'init=/bin/fuzz -- seed=20261202 calls=200000 procs=4' --smp 2 \
    --expect '^\[FUZZ\] done: [0-9]+ calls in [0-9.]+ s \([0-9]+ calls/s\), 0 findings, 0 leaks$' \
    --forbid '^\[FUZZ\] FINDING' --forbid '^\[FAULT\]' --timeout 900)"
# The fuzzer's clean-up of a directory tree 300 deep (renames nest them so
# in long runs): the leak counters come back exact (init's own memory
# included: a clean-up that needs more of init's heap looks like lost frames).
add fuzz-deeptree-smp1 "$(q fuzz-deeptree-smp1 --cmdline 'init=/bin/fuzz -- deeptree=300' --smp 1 \
    --expect '^\[FUZZ\] deeptree 300: exact$' --timeout 120)"
# Fault injection: every 53rd frame allocation fails (failframe=53) under
# the fuzzer (tolerant of ENOMEM; init is exempt): no panic, no leak.
add fault-frames-smp2 "$(q fault-frames-smp2 --cmdline 'failframe=53 init=/bin/fuzz -- seed=8 calls=20000 procs=4 tolerant=1' --smp 2 \
    --expect '^\[KERNEL\] fault injection on ' \
    --expect '^\[FUZZ\] done: [0-9]+ calls in [0-9.]+ s \([0-9]+ calls/s\), 0 findings, 0 leaks$' \
    --expect '^\[METRICS\] fault injection: 0 of [0-9]+ fallible heap allocations and [1-9][0-9]* of [0-9]+ frame allocations failed on purpose ' --timeout 600)"
# Every 13th fallible heap allocation fails (failslab=13; mm::fault_inject
# explains which allocations are fallible) under the same fuzzer.
add fault-slab-smp2 "$(q fault-slab-smp2 --cmdline 'failslab=13 init=/bin/fuzz -- seed=8 calls=20000 procs=4 tolerant=1' --smp 2 \
    --expect '^\[KERNEL\] fault injection on ' \
    --expect '^\[FUZZ\] done: [0-9]+ calls in [0-9.]+ s \([0-9]+ calls/s\), 0 findings, 0 leaks$' \
    --expect '^\[METRICS\] fault injection: [1-9][0-9]* of [0-9]+ fallible heap allocations and 0 of 0 frame allocations failed on purpose ' --timeout 600)"
# Memory pressure at -m 64M (tests/linux/c/mem_pressure.c): a hog holding
# all but 6 MiB, busybox sh and a fork bomb together; ENOMEM/EAGAIN or the
# OOM killer's SIGKILL, never a panic; every frame back afterwards.
add mem-pressure-smp2 "$(q mem-pressure-smp2 --cmdline 'init=/bin/linux/mem_pressure abi=linux' --smp 2 \
    --qemu-arg=-m --qemu-arg=64M --expect '^leak check: every frame is back$' --expect '^OK mem_pressure$' --timeout 400)"
# The soak workload (make soak) for a few seconds on 4 CPUs: every round's
# results and the leak check (tests/linux/c/soak.c).
add soak-smoke-smp4 "$(q soak-smoke-smp4 --cmdline 'init=/bin/linux/soak abi=linux -- 5 7' --smp 4 --qemu-arg=-m --qemu-arg=512M \
    --expect '^\[SOAK\] round 1: ' --expect '^\[SOAK\] done: [0-9]+ rounds in [0-9]+ s, 0 findings, 0 leaks$' --expect '^OK soak$' --timeout 900)"
# The Linux-personality fuzzer's random mode: fully random calls in forked
# children (tests/linux/c/fuzz_linux.c); its oracle mode runs as
# linux-fuzz-linux-smp2. `fuzz_linux seed=S calls=N trace=1` replays a run.
add linux-fuzz-random-smp2 "$(q linux-fuzz-random-smp2 --cmdline 'init=/bin/linux/fuzz_linux abi=linux -- seed=7 calls=50000' --smp 2 \
    --expect '^fuzz_linux: done: 50000 calls, 0 findings$' --expect '^OK fuzz_linux$' --forbid '^FINDING' --timeout 900)"
# User ASLR: a program re-executes itself and compares its stack top, mmap
# and break addresses (Linux personality) or its stack (native).
add aslr-smp1       "$(q aslr-smp1 --cmdline 'init=/bin/linux/fuzz_aslr abi=linux -- twice' --smp 1 \
    --expect '^stack: differs$' --expect '^mmap: differs$' --expect '^brk: differs$' --timeout 120)"
add aslr-off-smp1   "$(q aslr-off-smp1 --cmdline 'norandmaps init=/bin/linux/fuzz_aslr abi=linux -- twice' --smp 1 \
    --expect '^\[KERNEL\] norandmaps: user address-space randomisation off$' \
    --expect '^stack: same$' --expect '^mmap: same$' --expect '^brk: same$' --timeout 120)"
add aslr-native-smp1 "$(q aslr-native-smp1 --cmdline 'init=/bin/fuzz -- aslr' --smp 1 --expect '^\[FUZZ\] aslr: native stack differs$' --timeout 120)"
add aslr-native-off-smp1 "$(q aslr-native-off-smp1 --cmdline 'norandmaps init=/bin/fuzz -- aslr' --smp 1 --expect '^\[FUZZ\] aslr: native stack same$' --timeout 120)"
add linux-hello-smp2     "tools/testing/linux_c.py linux-hello-smp2 hello --smp 2 --timeout 120"
add linux-memory-smp2    "tools/testing/linux_c.py linux-memory-smp2 memory --smp 2 --timeout 120"
add linux-mem-remap-smp2 "tools/testing/linux_c.py linux-mem-remap-smp2 mem_remap --smp 2 --timeout 120"
add linux-nanosleep-smp1 "tools/testing/linux_c.py linux-nanosleep-smp1 nanosleep --smp 1 --timeout 120"
# Debian's busybox running tests/linux/busybox/script.sh from the oracle
# initramfs, output byte for byte against Debian's kernel's.
add linux-busybox-smp1 "tools/testing/oracle_test.py linux-busybox-smp1 busybox --smp 1 --timeout 400"
add linux-busybox-smp4 "tools/testing/oracle_test.py linux-busybox-smp4 busybox --smp 4 --timeout 400"
# `make run`'s console: init's demo, then busybox's shell; commands, a
# pipeline, ^C of a foreground sleep ($? is 130); the kernel log: busybox's
# dmesg (syslog(2)) shows the debug-level scheduler trace that the console
# no longer does, /proc/kmsg gives the log from its first record, then
# blocks until ^C (typed once the reader has said it runs: typed while the
# shell's line editor still has the terminal raw, ^C would be input, not
# SIGINT); exit powers off.
add shell-smp2 "$(q shell-smp2 --cmdline '' --smp 2 \
    --after '^\[INIT\] all done$' --type 'echo hello-$((6*7))\r' \
    --after '^hello-42$' --type 'printf "b\na\nb\n" | sort | uniq -c\r' \
    --after '^ +2 b$' --type 'sh -c "echo started; exec sleep 1000"\r' \
    --after '^started$' --type '\x03' \
    --after '^\^C$' --type 'echo status=$?\r' \
    --after '^status=130$' --type 'dmesg | grep -m1 "Enqueued task .* (pid 2)"\r' \
    --after '^\[ *[0-9.]+\] \[SCHED\] Enqueued task [0-9]+ \(pid 2\)' --type 'head -n 1 /proc/kmsg\r' \
    --after '^<6>\[ +0\.0+\] \[KERNEL\] MelloOS starting' --type 'sh -c "echo reading; exec cat /proc/kmsg >/dev/null"\r' \
    --after '^reading$' --type '\x03' \
    --after '^\^C$' --type 'echo cat=$?\r' \
    --after '^cat=130$' --type 'exit\r' \
    --expect '^hello-42$' --expect '^ +1 a$' --expect '^ +2 b$' --expect '^status=130$' \
    --expect '^\[ *[0-9.]+\] \[SCHED\] Enqueued task [0-9]+ \(pid 2\)' --expect '^<6>\[ +0\.0+\] \[KERNEL\] MelloOS starting' --expect '^cat=130$' \
    --forbid '^\[SCHED\] Enqueued task [0-9]+ \(pid 2\)' --forbid '^\[LINUX\]' \
    --done '\[KERNEL\] init exited with code 0' --timeout 180)"
# The README's boot transcript against a real `make run SMP=2` boot.
add docs-transcript-smp2 "tools/docs/capture.py --check"
# `make debug PROG=true` driven by GDB in batch mode: kernel_main, the
# script's hint kernel::sched::schedule (a bounded backtrace), true's main.
add gdb-smp2 "tools/testing/gdb_test.sh gdb-smp2"
add linux-fs-files-smp1   "tools/testing/linux_c.py linux-fs-files-smp1 fs_files --smp 1 --timeout 120"
add linux-fs-dirs-smp1    "tools/testing/linux_c.py linux-fs-dirs-smp1 fs_dirs --smp 1 --timeout 120"
add linux-fs-mount-smp1   "tools/testing/linux_c.py linux-fs-mount-smp1 fs_mount --smp 1 --timeout 120"
add linux-fs-fdpipe-smp1  "tools/testing/linux_c.py linux-fs-fdpipe-smp1 fs_fdpipe --smp 1 --timeout 120"
add linux-fs-poll-smp4    "tools/testing/linux_c.py linux-fs-poll-smp4 fs_poll --smp 4 --timeout 120"
# Processes and signals (fork/wait statuses, groups, clone, signal frames,
# EINTR/restart, hostile sigreturn frames): -smp 1, the signal ones -smp 4 too.
add linux-signal-smp1     "tools/testing/linux_c.py linux-signal-smp1 signal --smp 1 --timeout 120"
add linux-proc-wait-smp1  "tools/testing/linux_c.py linux-proc-wait-smp1 proc_wait --smp 1 --timeout 150"
add linux-proc-pgrp-smp1  "tools/testing/linux_c.py linux-proc-pgrp-smp1 proc_pgrp --smp 1 --timeout 120"
add linux-proc-clone-smp1 "tools/testing/linux_c.py linux-proc-clone-smp1 proc_clone --smp 1 --timeout 120"
# Many processes at once: exec storms, FIFO rendezvous, signals across CPUs,
# a SIGKILL storm (the races behind linux-busybox at -smp 4).
add linux-proc-storm-smp4 "tools/testing/linux_c.py linux-proc-storm-smp4 proc_storm --smp 4 --timeout 300"
add linux-proc-threads-smp1 "tools/testing/linux_c.py linux-proc-threads-smp1 threads --smp 1 --timeout 240"
add linux-proc-threads-smp4 "tools/testing/linux_c.py linux-proc-threads-smp4 threads --smp 4 --timeout 240"
# CPU affinity per thread (sched_setaffinity pins, sched_getcpu right after):
# the same lines on 1 and on 4 CPUs.
add linux-affinity-smp1 "tools/testing/linux_c.py linux-affinity-smp1 affinity --smp 1 --timeout 150"
add linux-affinity-smp4 "tools/testing/linux_c.py linux-affinity-smp4 affinity --smp 4 --timeout 150"
add linux-sig-handler-smp1 "tools/testing/linux_c.py linux-sig-handler-smp1 sig_handler --smp 1 --timeout 120"
add linux-sig-handler-smp4 "tools/testing/linux_c.py linux-sig-handler-smp4 sig_handler --smp 4 --timeout 150"
add linux-sig-altstack-smp1 "tools/testing/linux_c.py linux-sig-altstack-smp1 sig_altstack --smp 1 --timeout 120"
add linux-sig-eintr-smp1  "tools/testing/linux_c.py linux-sig-eintr-smp1 sig_eintr --smp 1 --timeout 150"
add linux-sig-eintr-smp4  "tools/testing/linux_c.py linux-sig-eintr-smp4 sig_eintr --smp 4 --timeout 150"
add linux-sig-forge-smp1  "tools/testing/linux_c.py linux-sig-forge-smp1 sig_forge --smp 1 --timeout 120"
add linux-sig-forge-smp4  "tools/testing/linux_c.py linux-sig-forge-smp4 sig_forge --smp 4 --timeout 150"
add linux-proc-tty-smp1   "tools/testing/linux_c.py linux-proc-tty-smp1 proc_tty --smp 1 --timeout 120"
# ^C and ^Z typed on COM1 reach the console's foreground group: the musl
# program proc_tty (as init, argument ctrlc) waits in pause() in a child.
add linux-ctrlc-smp2 "$(q linux-ctrlc-smp2 --cmdline 'init=/bin/linux/proc_tty abi=linux -- ctrlc' --smp 2 \
    --after '^\[JOBCTL\] ready for \^C$' --type '\x03' --after '^\[JOBCTL\] ready for \^Z$' --type '\x1a' \
    --expect '^\^C\[JOBCTL\] child killed by signal 2: shell status 130$' --expect '^\^Z\[JOBCTL\] child stopped by signal 20$' \
    --expect '^\[JOBCTL\] then killed by signal 9$' --expect '^OK proc_tty ctrlc$' --forbid '^FAIL' --timeout 120)"
add linux-fuzz-aslr-smp1 "tools/testing/linux_c.py linux-fuzz-aslr-smp1 fuzz_aslr --smp 1 --timeout 120"
add linux-fuzz-linux-smp2 "tools/testing/linux_c.py linux-fuzz-linux-smp2 fuzz_linux --smp 2 --timeout 300"
# /proc/self/exe, /proc/self/fd and a child's /proc/N/fd (links, listing, reopen).
add linux-proc-fd-smp2 "tools/testing/linux_c.py linux-proc-fd-smp2 proc_fd --smp 2 --timeout 120"
# ttyS0 and tty1 are two terminals: own termios and window size (against
# Linux); with console=ttyS0, serial bytes reach ttyS0 only and PS/2 keys
# tty1 only, canonical and raw (tests/linux/c/tty_split.c split).
add linux-tty-split-smp1 "tools/testing/linux_c.py linux-tty-split-smp1 tty_split --smp 1 --timeout 120"
add tty-split-smp2 "$(q tty-split-smp2 --cmdline 'console=ttyS0 init=/bin/linux/tty_split abi=linux -- split' --smp 2 \
    --after '^\[SPLIT\] ready: serial canonical$' --type 'hello\r' \
    --after '^\[SPLIT\] ready: keyboard canonical$' --sendkey 'h i ret' \
    --after '^\[SPLIT\] ready: serial raw$' --type 'a\x03' \
    --after '^\[SPLIT\] ready: keyboard raw$' --sendkey 'b ctrl-c' \
    --expect '^\[TTY\] console is ttyS0 \(COM1\); tty1 is the screen and keyboard$' \
    --expect '^\[SPLIT\] /dev/console is ttyS0: yes$' \
    --expect '^\[SPLIT\] ttyS0 canonical read 6: 68 65 6c 6c 6f 0a$' --expect-raw '^hello\r$' \
    --expect '^\[SPLIT\] ttyS0 canonical: tty1 has 0 bytes, poll 0$' \
    --expect '^\[SPLIT\] tty1 canonical read 3: 68 69 0a$' --forbid '^hi$' \
    --expect '^\[SPLIT\] tty1 canonical: ttyS0 has 0 bytes, poll 0$' \
    --expect '^\[SPLIT\] ttyS0 raw read 2: 61 03$' --expect '^\[SPLIT\] ttyS0 raw: tty1 has 0 bytes, poll 0$' \
    --expect '^\[SPLIT\] tty1 raw read 2: 62 03$' --expect '^\[SPLIT\] tty1 raw: ttyS0 has 0 bytes, poll 0$' \
    --expect '^OK tty_split split$' --forbid '^FAIL' --done '\[KERNEL\] init exited with code 0' --timeout 150)"

# Host tests: name | command (run from the repository root).
host_tests=()
declare -A host_cmds
hadd() { host_tests+=("$1"); host_cmds["$1"]="${*:2}"; }
hadd unit-crates        'cd crates && cargo test'
hadd unit-userspace     'cd userspace && cargo test -p mello --target "$(rustc -vV | sed -n "s/^host: //p")"'
hadd unit-harness       'python3 -m unittest discover -s tools/testing -p test_qemu_test.py'
hadd unit-check-programs 'python3 -m unittest discover -s tools/testing -p test_check_programs.py'
hadd unit-qemu-sh       'python3 -m unittest discover -s tools/testing -p test_qemu_sh.py'
hadd unit-test-matrix   'python3 -m unittest discover -s tools/testing -p test_matrix_doc.py'
hadd unit-bench-report  'python3 tools/bench/test_report.py'
hadd unit-mkcpio        'python3 tools/initramfs/test_mkcpio.py'
hadd unit-oracle-extract 'python3 tools/oracle/test_extract.py'
hadd unit-linux-c       'python3 -m unittest discover -s tools/testing -p test_linux_c.py'
hadd lint-layers        'python3 tools/layers.py --check'
hadd lint-doc           'make -s doc'
hadd lint-clippy        '(cd crates && cargo clippy --release --all-targets -- -D warnings) && (cd kernel && cargo clippy --release -- -D warnings) && (cd userspace && cargo clippy --release -- -D warnings)'
