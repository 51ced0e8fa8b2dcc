"""Selenium Grid 4 in fully distributed mode, as large farms run it: event bus, session map, new-session
queue, distributor and router each a process of their own, and a node that joins through the event
bus. A suite goes in through the router with capabilities from the suite and the command line; the
grid's own /status gives the worker count and its GraphQL the node of every result."""
import psutil
import pytest

from tests.grid.conftest import Processes, wait_until
from tests.grid.sweeps import finish, integrity_and_specs, run_sweep, stored, suite_text
from webdlbench.drivers import grid_api

pytestmark = pytest.mark.browser

SUITE_CAPABILITIES = """
[capabilities]
"se:name" = "webdlbench distributed-mode test"
platformName = "windows"
"""


def test_a_suite_through_the_router_of_a_fully_distributed_grid(distributed_grid, tmp_path):
    grid = distributed_grid
    parts = grid.components
    assert set(parts) == {"event-bus", "sessions", "sessionqueue", "distributor", "router"}
    pids = {name: proc.pid for name, proc in parts.items()} | {"node": grid.nodes[0].proc.pid}
    assert len(set(pids.values())) == 6 and all(psutil.pid_exists(pid) for pid in pids.values())
    (node,) = grid.nodes
    suite = tmp_path / "distributed.toml"
    # The suite asks for Windows; the command line overrides that with what the node offers.
    suite.write_text(suite_text("distributed", [16], page_loads=1, tables=SUITE_CAPABILITIES))
    store = tmp_path / "store.sqlite"
    sweep = Processes(tmp_path)
    try:
        log = finish(run_sweep(sweep, suite, "--store", store, "--driver", "grid", "--grid-url", grid.url,
                               "--browser", "/usr/bin/chromium", "--capability", "platformName=linux"), sweep)
    finally:
        sweep.kill_all()
    assert sweep.started[0].returncode == 0, log
    assert "1 of 1 slot(s) for this browser free on 1 node(s)" in " ".join(log.split())
    assert integrity_and_specs(store) == ("ok", 2)
    results = stored(store)
    assert len(results) == 2 and all(r["outcome"] == "ok" for r in results), [(r["outcome"], r["error"]) for r in results]
    for r in results:
        env = r["env"]
        assert env["driver"] == "grid" and env["grid_hub"] == grid.url and env["node"] == node.url
        assert env["requested_capabilities"] == {"se:name": "webdlbench distributed-mode test", "platformName": "linux"}
        # The grid passed both on: the session's capabilities say so.
        assert env["granted_capabilities"] == env["requested_capabilities"]
        assert "js_heap_used_bytes" in r["metrics"]  # CDP pass-through via the router and the node
    wait_until(lambda: grid_api.capacity(grid.url, {}).free == 1, "the node's slot free again", 30)


def test_free_slots_follow_the_session_the_grid_is_running(distributed_grid):
    """A session held open takes the node's only slot: /status through the router then shows none free,
    and GraphQL names the node that runs it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    from webdlbench.browser import choose_flags

    grid = distributed_grid
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in (*choose_flags(False), "--headless=new"):
        options.add_argument(flag)
    session = webdriver.Remote(command_executor=grid.url, options=options)
    try:
        assert grid_api.capacity(grid.url, {}) == grid_api.Capacity(total=1, free=0, nodes=1)
        assert grid_api.default_workers(grid.url, {})[0] == 1
        assert grid_api.node_of_session(grid.url, session.session_id) == grid.nodes[0].url
    finally:
        session.quit()
    wait_until(lambda: grid_api.capacity(grid.url, {}).free == 1, "the node's slot free again", 30)
