#!/usr/bin/env python3
"""Build slots with real Rust kernels (part of the test command, after set-up; about 20 s).

Starts two genlab-rust kernels at once through the project's kernel spec and asks each, in a cell,
which build directory it got; kills the first with SIGKILL (as a crash or `kill -9` would) and
starts a third, which must get the killed kernel's slot back; restarts that one while a cell runs,
and it must keep its slot. The cells use no crates, so a slot
that has not compiled genlab yet costs seconds, not minutes. Exit code 1 on any failure.

Usage: .venv/bin/python scripts/check_kernel_slots.py
"""
import os
import signal
import sys
import time

import kernel_client

ASK = 'println!("SLOT={} DIR={}", std::env::var("GENLAB_KERNEL_SLOT").unwrap_or_default(), ' \
      'std::env::var("EVCXR_TMPDIR").unwrap_or_default());'


def slot_of(kc):
    _, out, _ = kernel_client.run(kc, ASK, timeout=300)
    line = next(line for line in out.splitlines() if line.startswith("SLOT="))
    slot, build_dir = line[len("SLOT="):].split(" DIR=", 1)
    return slot, build_dir


def main():
    if os.name == "nt":
        print("check_kernel_slots: POSIX only (SIGKILL); the slot logic is unit-tested on every OS")
        return 0
    problems = []
    first = kernel_client.start(startup_timeout=300)
    second = kernel_client.start(startup_timeout=300)
    third = None
    try:
        a, b = slot_of(first[1]), slot_of(second[1])
        print(f"check_kernel_slots: two kernels at once: slot {a[0]} ({a[1]}) and slot {b[0]} ({b[1]})")
        if not a[0] or a[1] == b[1]:
            problems.append(f"two running kernels share or lack a build directory: {a} {b}")
        os.kill(first[0].provisioner.process.pid, signal.SIGKILL)
        first[0].provisioner.process.wait()
        third = kernel_client.start(startup_timeout=300)
        c = slot_of(third[1])
        print(f"check_kernel_slots: after kill -9 of the first, a new kernel got slot {c[0]} ({c[1]})")
        if c != a:
            problems.append(f"the killed kernel's slot {a} was not reused: the new kernel got {c}")
        # JupyterLab's "Restart kernel" while a cell runs (a training cell, say): the new kernel
        # must get the same slot back, or it would compile everything again in a fresh one.
        third[1].execute("std::thread::sleep(std::time::Duration::from_secs(120));")
        time.sleep(3)
        third[0].restart_kernel(now=True)
        third[1].wait_for_ready(timeout=300)
        d = slot_of(third[1])
        print(f"check_kernel_slots: restarted while a cell ran, the kernel got slot {d[0]} ({d[1]})")
        if d != c:
            problems.append(f"a restarted kernel moved from slot {c} to {d}")
    finally:
        for pair in (second, third):
            if pair is not None:
                kernel_client.stop(*pair)
        first[1].stop_channels()
        first[0].cleanup_resources()
    for problem in problems:
        print(f"FAIL check_kernel_slots: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
