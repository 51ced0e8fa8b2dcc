"""The sweep's work queue over several workers, with fake browsers (no processes): every spec is
handed over exactly once; a spec whose browser died goes to another worker, a bounded number of
times; specs no browser can take end as recorded failures, not silently lost. Also the driver
flags' checks (exit code 2)."""
import asyncio

import pytest

from tests.conftest import run_cli
from tests.fakes import FakeRunner as FakeSession
from webdlbench import sweep as sweep_module
from webdlbench.drivers import grid_api
from webdlbench.errors import UserError
from webdlbench.spec import Spec

SPECS = [Spec("tfjs", "cpu", "train", depth=1, width=w, replicates=1) for w in (16, 20, 24, 28, 32, 36)]


def sweep(sessions, retries=1):
    delivered = []
    workers = [sweep_module.Worker(s) for s in sessions]
    asyncio.run(sweep_module.sweep(SPECS, workers, None, on_result=delivered.append, retries=retries))
    return delivered


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(sweep_module, "CONNECT_PAUSE_S", 0.0)


def test_every_spec_is_delivered_once_over_both_workers():
    sessions = [FakeSession("a", lambda *_: "ok"), FakeSession("b", lambda *_: "ok")]
    delivered = sweep(sessions)
    assert sorted(r.spec.spec_hash for r in delivered) == sorted(s.spec_hash for s in SPECS)
    assert {r.environment["node"] for r in delivered} == {"a", "b"}
    assert all(r.info["attempt"] == 1 and "earlier_attempts" not in r.info for r in delivered)
    assert all(s.driver.stopped for s in sessions)


def test_a_node_that_dies_has_its_spec_measured_by_the_other_and_nothing_is_lost_or_duplicated():
    def dies_on_second_spec(driver, spec, n):
        if n == 2:
            driver.broken = True  # and it never comes back
            return "browser_crashed"
        return "ok"
    a, b = FakeSession("a", dies_on_second_spec), FakeSession("b", lambda *_: "ok")
    delivered = sweep([a, b])
    assert sorted(r.spec.spec_hash for r in delivered) == sorted(s.spec_hash for s in SPECS)
    assert all(r.outcome == "ok" for r in delivered)
    (requeued,) = [r for r in delivered if r.info.get("earlier_attempts")]
    assert requeued.spec == a.measured[1] and requeued.environment["node"] == "b"
    assert requeued.info["earlier_attempts"] == [
        {"worker": 0, "node": "a", "outcome": "browser_crashed", "error": "browser_crashed on a"}]
    assert requeued.info["attempt"] == 2 and len(a.measured) == 2


def test_requeues_are_bounded_by_retries():
    delivered = sweep([FakeSession("a", lambda *_: "timeout"), FakeSession("b", lambda *_: "timeout")], retries=2)
    assert len(delivered) == len(SPECS) and all(r.outcome == "timeout" for r in delivered)
    assert all(r.info["attempt"] == 3 and len(r.info["earlier_attempts"]) == 2 for r in delivered)


def test_without_retries_a_crashed_spec_is_recorded_not_requeued():
    delivered = sweep([FakeSession("a", lambda d, s, n: "browser_crashed" if n == 1 else "ok")], retries=0)
    assert [r.outcome for r in delivered].count("browser_crashed") == 1 and len(delivered) == len(SPECS)


def test_the_only_worker_may_measure_its_own_requeued_spec_again():
    delivered = sweep([FakeSession("a", lambda d, s, n: "timeout" if n == 1 else "ok")])
    assert len(delivered) == len(SPECS) and all(r.outcome == "ok" for r in delivered)
    assert sum(1 for r in delivered if r.info["attempt"] == 2) == 1


def test_with_no_browser_at_all_every_spec_is_recorded_with_the_reason():
    delivered = sweep([FakeSession("a", lambda *_: "ok", start_fails=True),
                       FakeSession("b", lambda *_: "ok", start_fails=True)])
    assert sorted(r.spec.spec_hash for r in delivered) == sorted(s.spec_hash for s in SPECS)
    assert all(r.outcome == "browser_crashed" and "no browser left" in r.error and "a: no session" in r.error
               for r in delivered)


def test_grid_urls_are_checked_before_anything_runs():
    assert grid_api.normalise_grid_url("http://hub:4444/") == "http://hub:4444"  # Grid 4 serves at its root
    assert grid_api.normalise_grid_url("http://hub:4444/wd/hub/") == "http://hub:4444/wd/hub"
    assert grid_api.api_root("http://hub:4444/wd/hub") == "http://hub:4444"  # /status and /graphql live there
    assert grid_api.api_root("https://farm/grid") == "https://farm/grid"  # a grid under a --sub-path keeps it
    with pytest.raises(UserError, match="not an http"):
        grid_api.normalise_grid_url("hub:4444")


def test_capabilities_from_the_suite_with_the_command_line_over_them():
    caps = grid_api.requested_capabilities(
        {"platformName": "windows", "se:name": "suite"},
        ["platformName=linux", "browserVersion=156", "se:recordVideo=true", 'acme:options={"build": "7"}'])
    assert caps == {"platformName": "linux", "se:name": "suite", "browserVersion": "156", "se:recordVideo": True,
                    "acme:options": {"build": "7"}}  # a version stays a string, as W3C has it


@pytest.mark.parametrize("given, message", [
    (["platformName"], "is not KEY=VALUE"),
    (["=linux"], "is not KEY=VALUE"),
    (["acme:options={build: 7}"], "looks like JSON but is not"),
    (["goog:chromeOptions={}"], "set by webdlbench's grid driver"),
    (["pageLoadStrategy=eager"], "set by webdlbench's grid driver"),
])
def test_bad_capabilities_name_the_problem(given, message):
    with pytest.raises(UserError, match=message):
        grid_api.requested_capabilities({}, given)


def status_of(*nodes):
    return {"value": {"ready": True, "nodes": [
        {"uri": uri, "availability": availability,
         "slots": [{"stereotype": stereotype, "session": {"sessionId": "s"} if busy else None}
                   for stereotype, busy in slots]} for uri, availability, slots in nodes]}}


CHROME, FIREFOX = {"browserName": "chrome", "platformName": "linux"}, {"browserName": "firefox", "platformName": "linux"}


@pytest.mark.parametrize("status, wanted, expected", [
    # a busy slot counts in the total only; a DOWN node not at all; another browser's slot neither
    (status_of(("a", "UP", [(CHROME, False), (CHROME, True)]), ("b", "DOWN", [(CHROME, False)]),
               ("c", "UP", [(FIREFOX, False)])), {}, grid_api.Capacity(total=2, free=1, nodes=1)),
    (status_of(("a", "UP", [(CHROME, False)])), {"platformName": "WINDOWS"}, grid_api.Capacity(0, 0, 0)),
    (status_of(("a", "UP", [(CHROME, False)])), {"platformName": "LINUX"}, grid_api.Capacity(1, 1, 1)),
    (status_of(("a", "UP", [({"browserName": "chrome"}, False)])), {"browserVersion": "156"},
     grid_api.Capacity(1, 1, 1)),  # a stereotype that names no version takes any
    (status_of(("a", "UP", [({**CHROME, "browserVersion": "156.0.8078.114"}, False)]),
               ("b", "UP", [({**CHROME, "browserVersion": "15.1"}, False)])), {"browserVersion": "156.0"},
     grid_api.Capacity(1, 1, 1)),  # by leading components, not by characters
    (status_of(("a", "UP", [({**CHROME, "browserVersion": "155.0"}, False)])), {"browserVersion": "stable"},
     grid_api.Capacity(1, 1, 1)),
    (status_of(("a", "UP", [(CHROME, False)])), {"browserName": "Chrome"}, grid_api.Capacity(0, 0, 0)),
    ({"value": {"ready": True, "message": "a farm's gateway"}}, {}, None),
])
def test_slots_are_counted_from_the_grids_status(monkeypatch, status, wanted, expected):
    monkeypatch.setattr(grid_api, "_get_json", lambda url, body=None: status)
    assert grid_api.capacity("http://hub:4444", wanted) == expected


@pytest.mark.parametrize("flags, message", [
    (["--driver", "grid"], "--driver grid needs --grid-url"),
    (["--capability", "platformName=linux"], "--capability needs --driver grid"),
    (["--driver", "grid", "--grid-url", "http://127.0.0.1:9", "--capability", "linux"], "is not KEY=VALUE"),
    (["--driver", "cdp"], "--driver cdp needs --cdp-url"),
    (["--grid-url", "http://127.0.0.1:9/wd/hub"], "--grid-url needs --driver grid"),
    (["--driver", "grid", "--grid-url", "http://127.0.0.1:9"], "no Selenium Grid answers at"),
    (["--driver", "cdp", "--cdp-url", "http://127.0.0.1:9"], "no browser answers CDP at"),
    (["--workers", "0"], "--workers must be 1 or more"),
])
def test_bad_driver_flags_exit_2_with_one_line_and_no_store(tmp_path, flags, message):
    store = tmp_path / "s.sqlite"
    done = run_cli("run", "quick", "--store", store, *flags)
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not store.exists()
