"""A real Selenium Grid on loopback: one hub and two nodes from the npm `selenium-server` 3.141.59 jar,
with Debian's Java and ChromeDriver (scripts/ensure-grid.sh installs them). Every process started
here (hub, nodes, and the ChromeDriver and Chromium each node starts) is killed at teardown, even
when the test fails: each is started in a process group of its own, and the group is killed by id.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
JAR = ROOT / "node_modules/selenium-server/lib/runner/selenium-server-standalone-3.141.59.jar"
CHROMEDRIVER = "/usr/bin/chromedriver"
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, timeout: float = 5) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def wait_until(condition, what: str, timeout: float = START_TIMEOUT_S, poll: float = 0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = condition()
            if value:
                return value
        except OSError:
            pass
        time.sleep(poll)
    raise AssertionError(f"{what} within {timeout} s")


class Processes:
    """Processes a test started; each leads its own process group, which is killed as a whole."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        log.close()
        self.started.append(proc)
        return proc

    def kill_all(self) -> None:
        for proc in self.started:
            kill_tree(proc)


def kill_tree(proc: subprocess.Popen) -> list[int]:
    """SIGKILL a process, everything under it, and its process group (what a killed java node leaves
    behind, ChromeDriver and Chromium, stays in the group). Returns the pids it found."""
    found = [proc.pid]
    try:
        found += [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        pass
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the group started with start_new_session: its id is the leader's pid
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)
    return found


def group_members(pgid: int) -> list[int]:
    members = []
    for p in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                members.append(p.pid)
        except (ProcessLookupError, psutil.Error):
            pass
    return members


@dataclass
class Node:
    url: str                    # what the hub calls it (proxyId)
    proc: subprocess.Popen


@dataclass
class Grid:
    hub_url: str                # http://127.0.0.1:PORT/wd/hub
    hub: subprocess.Popen
    nodes: list = field(default_factory=list)
    processes: Processes = None

    def slot_total(self) -> int:
        return get_json(self.hub_url.rsplit("/wd/hub", 1)[0] + "/grid/api/hub")["slotCounts"]["total"]


def ensure_grid_tools() -> None:
    missing = [what for what, ok in (("java", shutil.which("java")), ("chromedriver", Path(CHROMEDRIVER).exists()))
               if not ok]
    if missing:
        done = subprocess.run([str(ROOT / "scripts/ensure-grid.sh")], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"the grid tests need {', '.join(missing)}: {done.stderr.strip()}")
    if not JAR.exists():
        pytest.fail(f"{JAR} missing: run `npm ci` (package.json has selenium-server 3.141.59)")


@pytest.fixture
def grid(tmp_path):
    """A hub and two registered nodes (one Chrome slot each) on free loopback ports."""
    ensure_grid_tools()
    logs = tmp_path / "grid-logs"
    logs.mkdir()
    processes = Processes(logs)
    try:
        hub_port = free_port()
        # -timeout: a session idle this long is reclaimed by the hub (our heartbeat keeps live ones busy).
        hub = processes.start("hub", ["java", "-jar", str(JAR), "-role", "hub", "-host", "127.0.0.1",
                                      "-port", str(hub_port), "-timeout", "120"])
        hub_url = f"http://127.0.0.1:{hub_port}/wd/hub"
        wait_until(lambda: "build" in get_json(f"{hub_url}/status")["value"], "the hub answered")
        grid = Grid(hub_url, hub, processes=processes)
        for i in range(2):
            port = free_port()
            proc = processes.start(f"node{i}", [
                "java", f"-Dwebdriver.chrome.driver={CHROMEDRIVER}", "-jar", str(JAR), "-role", "node",
                "-hub", f"http://127.0.0.1:{hub_port}/grid/register", "-host", "127.0.0.1", "-port", str(port),
                "-browser", "browserName=chrome,maxInstances=1", "-maxSession", "1"])
            grid.nodes.append(Node(f"http://127.0.0.1:{port}", proc))
        wait_until(lambda: grid.slot_total() == 2, "both nodes registered with the hub")
        yield grid
    finally:
        processes.kill_all()
        leftovers = {p.pid: group_members(p.pid) for p in processes.started}
        assert not any(leftovers.values()), f"processes left running after the grid test: {leftovers}"


def start_chromium_with_cdp(processes: Processes, folder: Path) -> tuple[str, subprocess.Popen]:
    """Chromium started here with --remote-debugging-port=0; its CDP URL from DevToolsActivePort."""
    from webdlbench.browser import choose_flags, find_browser

    user_data = folder / "cdp-profile"
    proc = processes.start("chromium-cdp", [find_browser(), "--headless=new", "--remote-debugging-port=0",
                                            f"--user-data-dir={user_data}", *choose_flags(False), "about:blank"])
    active = user_data / "DevToolsActivePort"
    wait_until(lambda: active.exists() and active.read_text().strip(), "Chromium wrote DevToolsActivePort",
               timeout=30, poll=0.2)
    port = int(active.read_text().splitlines()[0])
    return f"http://127.0.0.1:{port}", proc


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "webdlbench", *map(str, args)]
