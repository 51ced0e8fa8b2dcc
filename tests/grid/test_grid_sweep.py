"""Suites through a real Selenium Grid 4 (a hub and two nodes on loopback) and through a CDP endpoint,
into one store: every spec's result arrives once, attributed to the node that ran it; a node killed
mid-suite loses and duplicates nothing. The grid's slots are read from its own /status."""
import os
import signal
import socket
import time

import psutil
import pytest

from tests.grid.conftest import Processes, cli, start_chromium_with_cdp, wait_until
from tests.grid.sweeps import finish, integrity_and_specs, run_sweep, stored, stored_or_empty, suite_text
from webdlbench.drivers import grid_api

pytestmark = pytest.mark.browser


def reachable_address() -> str:
    """An address of this machine other than loopback (what a node on another host would use), if any."""
    for addresses in psutil.net_if_addrs().values():
        for a in addresses:
            if a.family == socket.AF_INET and not a.address.startswith("127."):
                return a.address
    return "127.0.0.1"


def test_the_grids_own_status_gives_its_slots_and_graphql_the_node_of_a_session(grid):
    assert grid_api.probe(grid.url)["ready"] is True
    # Two nodes, one Chrome slot each, both idle; slots for a browser or platform no node offers: none.
    assert grid_api.capacity(grid.url, {}) == grid_api.Capacity(total=2, free=2, nodes=2)
    assert grid_api.capacity(grid.url, {"platformName": "linux"}) == grid_api.Capacity(2, 2, 2)
    assert grid_api.capacity(grid.url, {"platformName": "windows"}) == grid_api.Capacity(0, 0, 0)
    assert grid_api.capacity(grid.url, {"browserName": "firefox"}) == grid_api.Capacity(0, 0, 0)
    assert grid_api.default_workers(grid.url, {}) == (
        2, f"2 of 2 slot(s) for this browser free on 2 node(s) of the grid at {grid.url}: 2 worker(s)")
    assert grid_api.default_workers(grid.url, {"browserName": "firefox"})[0] == 1
    # The legacy /wd/hub path reaches the same status; GraphQL knows no session by a made-up id.
    assert grid_api.capacity(f"{grid.url}/wd/hub", {}) == grid_api.Capacity(2, 2, 2)
    assert grid_api.node_of_session(grid.url, "0" * 32) is None


def test_a_suite_runs_across_two_grid_nodes_each_result_once_attributed_to_its_node(grid, tmp_path):
    suite = tmp_path / "two-nodes.toml"
    suite.write_text(suite_text("two-nodes", [16, 24, 32]))
    store = tmp_path / "store.sqlite"
    # The results server on the address nodes on other hosts would reach (--host), where there is one.
    host = reachable_address()
    sweep = Processes(tmp_path)
    try:
        # No --workers: as many as the grid's /status says are free (both slots).
        log = finish(run_sweep(sweep, suite, "--store", store, "--driver", "grid", "--grid-url", grid.url,
                               "--browser", "/usr/bin/chromium", "--host", host), sweep)
    finally:
        sweep.kill_all()
    assert sweep.started[0].returncode == 0, log
    assert "2 of 2 slot(s) for this browser free on 2 node(s)" in " ".join(log.split())
    integrity, spec_count = integrity_and_specs(store)
    assert integrity == "ok"
    results = stored(store)
    assert spec_count == 6 and len(results) == 6 and len({r["spec"] for r in results}) == 6
    assert all(r["outcome"] == "ok" for r in results), [(r["outcome"], r["error"]) for r in results]
    nodes = {node.url for node in grid.nodes}
    assert {r["env"]["node"] for r in results} == nodes  # both nodes measured, and only they
    for r in results:
        assert r["env"]["driver"] == "grid" and r["env"]["grid_hub"] == grid.url
        assert r["env"]["requested_capabilities"] == {} and r["env"]["browser_platform"] == "linux"
        assert r["env"]["browser_version"] and "HeadlessChrome" in r["env"]["user_agent"]
        assert r["info"]["attempt"] == 1 and "earlier_attempts" not in r["info"]
        assert "js_heap_used_bytes" in r["metrics"]  # ChromeDriver's CDP pass-through, via the hub and the node
        # Cross-origin isolated (wasm threads, fine timers) even over plain http to a non-loopback address:
        assert r["env"]["cross_origin_isolated"] is True
        secure = [f for f in r["env"]["browser_flags"] if f.startswith("--unsafely-treat-insecure-origin-as-secure=")]
        assert secure == ([] if host == "127.0.0.1" else [secure[0]]) and all(f"//{host}:" in f for f in secure)
        # The nodes run on this machine and the harness proved it (the browser's own user-data-dir):
        assert r["env"]["cpu_model"] is not None
    # ...so per-process figures exist here (a remote node would have none: see the cdp test).
    assert any(r["metrics"] & {"cpu_renderer_pct", "cpu_gpu_pct"} for r in results)
    # Every session was ended: the grid reports both slots free again.
    wait_until(lambda: grid_api.capacity(grid.url, {}).free == 2, "both grid slots free", 30)


def test_a_node_killed_mid_suite_has_its_spec_requeued_and_nothing_is_lost_or_duplicated(grid, tmp_path):
    suite = tmp_path / "node-killed.toml"
    suite.write_text(suite_text("node-killed", [16, 20, 24, 28, 32]))
    store = tmp_path / "store.sqlite"
    victim, survivor = grid.nodes
    sweep = Processes(tmp_path)
    try:
        # Through the /wd/hub path old clients use: sessions there, status and GraphQL at the root.
        proc = run_sweep(sweep, suite, "--store", store, "--driver", "grid", "--grid-url", f"{grid.url}/wd/hub",
                         "--browser", "/usr/bin/chromium")

        def both_nodes_reported():
            assert proc.poll() is None, (sweep.logs / "sweep.log").read_text(errors="replace")
            nodes = {r["env"].get("node") for r in stored_or_empty(store)}
            return {victim.url, survivor.url} <= nodes
        wait_until(both_nodes_reported, "a result from each node", timeout=240)
        assert len(stored(store)) <= 10 - 3, "too few specs left to kill a node mid-suite"
        # kill -9 the node's java, and its ChromeDriver and Chromium by pid (they outlive the node).
        doomed = [victim.proc.pid] + [p.pid for p in psutil.Process(victim.proc.pid).children(recursive=True)]
        killed_at = time.time()
        for pid in doomed:
            os.kill(pid, signal.SIGKILL)
        log = finish(proc, sweep)
    finally:
        sweep.kill_all()
    assert proc.returncode == 0, log
    integrity, spec_count = integrity_and_specs(store)
    assert integrity == "ok"
    results = stored(store)
    assert spec_count == 10 and len(results) == 10 and len({r["spec"] for r in results}) == 10
    assert all(r["outcome"] == "ok" for r in results), [(r["outcome"], r["error"]) for r in results]
    # The spec the dead node was measuring went back to the queue and was measured on the other node.
    requeued = [r for r in results if r["info"].get("earlier_attempts")]
    assert requeued, log
    for r in requeued:
        first = r["info"]["earlier_attempts"][0]
        assert first["node"] == victim.url and first["outcome"] == "browser_crashed"
        # Killed during a command: ours, then the grid's own words ("Unable to execute request for an
        # existing session: …"). Killed between two replicates (a loaded machine makes that likelier): the
        # next replicate's session is asked for and none comes while the grid still counts the dead slot.
        assert (first["error"].startswith(f"the grid browser on node {victim.url} is gone: ")
                or first["error"].startswith(f"the browser could not be driven: no browser from the grid at ")), \
            first["error"]
        assert r["env"]["node"] == survivor.url and r["info"]["attempt"] == 2
    # Nothing the dead node started after its death is attributed to it.
    assert all(r["started_at"] < killed_at for r in results if r["env"]["node"] == victim.url)
    assert "queued for another browser" in " ".join(log.split())  # said as it happened (Rich wraps lines)


def test_a_suite_through_cdp_to_a_browser_started_elsewhere(tmp_path):
    suite = tmp_path / "cdp.toml"
    suite.write_text(suite_text("cdp", [16], page_loads=1))
    store = tmp_path / "store.sqlite"
    processes = Processes(tmp_path)
    try:
        cdp_url, browser = start_chromium_with_cdp(processes, tmp_path)
        log = finish(processes.start("sweep", cli("run", suite, "--store", store, "--driver", "cdp",
                                                  "--cdp-url", cdp_url)), processes)
        sweep = processes.started[-1]
        assert sweep.returncode == 0, log
        # The browser belongs to whoever started it: the sweep disconnected, it did not close it.
        assert browser.poll() is None
    finally:
        processes.kill_all()
    assert integrity_and_specs(store) == ("ok", 2)
    results = stored(store)
    assert len(results) == 2 and all(r["outcome"] == "ok" for r in results), [(r["outcome"], r["error"]) for r in results]
    for r in results:
        assert r["env"]["driver"] == "cdp" and r["env"]["node"] == cdp_url
        assert "HeadlessChrome" in r["env"]["user_agent"] and r["env"]["webgl_renderer"]
        assert "js_heap_used_bytes" in r["metrics"]  # CDP gives the heap...
        # ...but the browser's processes are not the harness's to see: no CPU/RSS figure, none invented.
        assert not {m for m in r["metrics"] if m.startswith(("cpu_", "rss_"))}
        assert r["env"]["cpu_model"] is None
