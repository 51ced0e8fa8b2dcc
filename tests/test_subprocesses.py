"""The one way a Python child is started (subprocesses.py): it imports this checkout, its threads are
pinned, what it wrote and how it ended come back, and on a timeout its whole group is killed — the
child and what it started — in the async and the sync entry alike."""
import asyncio
import os
import time

import pytest

from webdlbench import subprocesses

# A child that starts a grandchild in its own group, reports the grandchild's pid, then hangs.
HANGS_WITH_A_GRANDCHILD = """
import subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print(grandchild.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of a killed parent may linger as a zombie until init reaps it.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _gone(pid: int, within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_the_environment_imports_this_checkout_and_pins_threads(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    env = subprocesses.python_environment(threads=2, overrides={"X_SET": "1"}, defaults={"TF_CPP_MIN_LOG_LEVEL": "2"})
    assert env["PYTHONPATH"].split(os.pathsep) == [subprocesses.PACKAGE_ROOT, "/elsewhere"]
    assert all(env[name] == "2" for name in subprocesses.THREAD_VARIABLES)
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "0" and env["X_SET"] == "1"  # a default never overrides the parent
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert "OMP_NUM_THREADS" not in subprocesses.python_environment()  # pinned only when asked


@pytest.mark.parametrize("entry", ["async", "sync"])
def test_output_exit_and_stdin_come_back(entry):
    code = ("import sys, webdlbench; data = sys.stdin.read(); print(webdlbench.__file__); "
            "sys.stderr.write('warning\\n' + data); sys.exit(3)")
    run = _runner(entry)
    done = run(["-c", code], subprocesses.python_environment(), 60, b"the job")
    assert not done.timed_out and done.returncode == 3 and done.how == "exited with status 3"
    assert done.stdout.strip().startswith(subprocesses.PACKAGE_ROOT)  # this checkout, whatever is installed
    assert done.stderr_tail(7) == "the job" and done.stderr_tail(100) == "warning\nthe job"


@pytest.mark.parametrize("entry", ["async", "sync"])
def test_a_timeout_kills_the_child_and_what_it_started(entry, tmp_path):
    pid_file = tmp_path / "grandchild"
    code = HANGS_WITH_A_GRANDCHILD.replace("print(grandchild.pid, flush=True)",
                                           f"open({str(pid_file)!r}, 'w').write(str(grandchild.pid))")
    started = time.monotonic()
    done = _runner(entry)(["-c", code], subprocesses.python_environment(), 6)
    assert done.timed_out and done.returncode == -9 and done.how == "was killed by signal 9"
    assert time.monotonic() - started < 60
    assert _gone(int(pid_file.read_text())), "the grandchild outlived the timeout"


def test_a_killed_child_says_so():
    done = subprocesses.run_python_sync(["-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"],
                                        subprocesses.python_environment(), 60)
    assert not done.timed_out and done.stderr_tail(100) == ""
    assert done.how == "was killed by signal 9 (not by webdlbench: most likely out of memory)"


def test_a_cancelled_caller_leaves_no_child_behind(tmp_path):
    pid_file = tmp_path / "grandchild"
    code = HANGS_WITH_A_GRANDCHILD.replace("print(grandchild.pid, flush=True)",
                                           f"open({str(pid_file)!r}, 'w').write(str(grandchild.pid))")

    async def cancel_once_started():
        task = asyncio.create_task(subprocesses.run_python(["-c", code], subprocesses.python_environment(), 600))
        while not pid_file.exists() or not pid_file.read_text():
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_once_started())
    assert _gone(int(pid_file.read_text())), "the grandchild outlived the cancelled caller"


def _runner(entry):
    if entry == "sync":
        return lambda args, env, timeout, stdin=b"": subprocesses.run_python_sync(args, env, timeout, stdin)
    # Bounded: a child whose group survived would hold the pipes open, and the test must fail, not hang.
    return lambda args, env, timeout, stdin=b"": asyncio.run(
        asyncio.wait_for(subprocesses.run_python(args, env, timeout, stdin), timeout + 30))
