"""The modules of tools/testing/qemu_test.py, the QEMU test harness.

  qemu.py    the ISO, the qemu.sh command line, a run followed to its end
  judge.py   the verdict: markers, the power-off line, the reasons a run failed
  inputs.py  terminal input: --after/--type/--sendkey steps, QMP

qemu_test.py is the command line; it imports these with its own
directory on sys.path, so it runs from any directory.
"""
