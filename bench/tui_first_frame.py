#!/usr/bin/env python3
"""Time from launching `wasmdoctor` on a pseudo-terminal to its first frame (the header drawn),
and to the first check result; median of N runs. Usage: bench/tui_first_frame.py [HOST] [RUNS]"""
import fcntl, os, pty, select, signal, statistics, struct, sys, termios, time

host = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/hosts/crun-no-wasm"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
binary = "./target/release/wasmdoctor"
firsts, results = [], []
for _ in range(runs):
    start = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
        os.environ.update({"LANG": "C.UTF-8", "KUBECONFIG": "/nonexistent", "TERM": "xterm-256color"})
        os.execv(binary, [binary, "--host-root", host, "--no-docker"])
    buf, first, result = b"", None, None
    while time.monotonic() - start < 10 and result is None:
        r, _, _ = select.select([fd], [], [], 0.01)
        if fd in r:
            try:
                buf += os.read(fd, 65536)
            except OSError:
                break
            if first is None and b"wasmdoctor 0.1.0" in buf:
                first = time.monotonic() - start
            # A node check's mark replaces its spinner: the first `✓`/`✗` after the header.
            if first is not None and ("✓".encode() in buf.split(b"checks (")[-1] or "✗".encode() in buf.split(b"checks (")[-1]):
                result = time.monotonic() - start
    os.kill(pid, signal.SIGTERM)
    os.waitpid(pid, 0)
    os.close(fd)
    if first is not None:
        firsts.append(first * 1000)
    if result is not None:
        results.append(result * 1000)
print(f"first frame: median {statistics.median(firsts):.1f} ms (min {min(firsts):.1f}, max {max(firsts):.1f}, {len(firsts)} runs)")
print(f"first node result: median {statistics.median(results):.1f} ms")
