"""What the fault tests of the CLI share: a small native suite that measures for real without a
browser, the CLI as a subprocess (optionally without root's power to ignore file permissions),
and the check that a refusal is one line with exit code 2."""
import ctypes
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Native PyTorch, a few seconds a spec: a real sweep on any machine that ran `make setup`.
NATIVE_SUITE = """
name = "native-faults"
[defaults]
samples = 20
warmup = 1
replicates = 1
max_replicates = 1
[[grid]]
runtime = "native"
framework = "pytorch"
backend = "cpu"
task = "train"
depth = 1
width = [8, 16, 24, 32]
batch = 8
"""
NATIVE_SPECS = 4

# Linux capabilities that let root read and write files whatever their permissions say.
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3
PR_CAPBSET_DROP = 24


def write_suite(folder: Path, text: str = NATIVE_SUITE) -> Path:
    path = folder / "suite.toml"
    path.write_text(text)
    return path


def cli(*args, unprivileged=False, timeout=600, **popen):
    """`python -m webdlbench ARGS` from the repository root; with `unprivileged`, root's power to
    override file permissions is dropped first, so that read-only files are read-only to it too."""
    preexec = _drop_file_capabilities if unprivileged and os.geteuid() == 0 else None
    return subprocess.run([sys.executable, "-m", "webdlbench", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, preexec_fn=preexec, **popen)


def start_cli(*args, **popen):
    """The CLI started in the background (its own session, so that it can be killed whole)."""
    return subprocess.Popen([sys.executable, "-m", "webdlbench", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            **popen)


def assert_refused(done, *words):
    """Exit 2, one line on stderr containing every one of `words`, no traceback."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def count_results(store: Path) -> int:
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:  # not made yet
        return 0


def wait_for_results(store: Path, count: int, proc, timeout=300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, proc.communicate()
        if store.exists() and count_results(store) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"the sweep stored fewer than {count} results in {timeout} s")


def stored_once_each(store: Path) -> list[int]:
    """How many results each spec has in the store's one run (every spec exactly once: all 1s)."""
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return [n for (_, n) in conn.execute("SELECT spec_hash, count(*) FROM results GROUP BY spec_hash")]


def _drop_file_capabilities() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")
