"""What a Selenium Grid 4 says about itself, asked over its own HTTP API, and what a sweep asks it for.

* `/status` (hub, router or standalone): whether it answers, and every node with its availability
  and its slots (each slot's stereotype, and its session or none). The sweep's default worker count
  is the number of free slots, on nodes that are UP, whose stereotype fits the browser asked for.
* GraphQL (`/graphql`, same server): which node runs a given session.
* Capabilities: W3C capabilities from the suite's `[capabilities]` table and from `--capability
  KEY=VALUE` (the command line wins), added to the session request as they are.

A WebDriver endpoint that is not a Selenium Grid (a commercial farm's gateway) may answer neither
API: then slots and nodes are unknown (None), never guessed.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from webdlbench.errors import UserError

API_TIMEOUT_S = 10
# Grid 4 serves WebDriver at its root and, for old clients, under /wd/hub too; its status and
# GraphQL live at the root (or under the grid's --sub-path) only.
LEGACY_PATH = "/wd/hub"
# What the grid driver builds itself: the browser's flags and binary, and how page loads return.
DRIVER_OWNED = {"goog:chromeOptions": "use --browser for the node's Chromium binary; the flags are webdlbench's",
                "pageLoadStrategy": "webdlbench needs \"none\" to watch the page while it loads"}
DEFAULT_REQUEST = {"browserName": "chrome"}  # what ChromeOptions asks for


def normalise_grid_url(grid_url: str) -> str:
    """The grid's WebDriver endpoint as given (http://HOST:4444, or a path such as /wd/hub), checked."""
    parts = urlsplit(grid_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(f"--grid-url {grid_url!r} is not an http(s) URL: give the grid's address, "
                        "e.g. http://HOST:4444")
    return grid_url.rstrip("/")


def api_root(grid_url: str) -> str:
    """Where the grid's /status and /graphql are: the endpoint without a trailing /wd/hub."""
    url = normalise_grid_url(grid_url)
    return url[: -len(LEGACY_PATH)] if url.endswith(LEGACY_PATH) else url


def _get_json(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=API_TIMEOUT_S) as response:
        return json.loads(response.read())


def probe(grid_url: str) -> dict:
    """The grid's /status `value`, or a UserError naming the URL: checked before a sweep touches the store."""
    url = normalise_grid_url(grid_url)
    try:
        status = _get_json(f"{url}/status")
    except (OSError, ValueError) as exc:
        raise UserError(f"no Selenium Grid answers at {url} ({exc}): start one, or give --grid-url "
                        "http://HOST:4444") from None
    if not isinstance(status, dict) or not isinstance(status.get("value"), dict):
        raise UserError(f"{url}/status is not a WebDriver status (no 'value'): give the grid's address, "
                        "e.g. http://HOST:4444")
    return status["value"]


@dataclass(frozen=True)
class Capacity:
    """Slots that can serve the requested browser, on nodes that are UP, as /status reported them."""
    total: int
    free: int
    nodes: int


def _fits(stereotype: dict, wanted: dict) -> bool:
    """Whether a slot can serve the request, compared as Grid 4.48 was seen to compare on loopback:
    browserName exactly, browserVersion by leading components ("156" takes 156.0.8078.114; "stable"
    takes any), platformName ignoring case ("any" takes any). A key either side leaves out matches."""
    name, want_name = stereotype.get("browserName"), wanted.get("browserName")
    if name and want_name and name != want_name:
        return False
    version, want_version = str(stereotype.get("browserVersion") or ""), str(wanted.get("browserVersion") or "")
    if version and want_version and want_version != "stable":
        wanted_parts = want_version.split(".")
        if version.split(".")[: len(wanted_parts)] != wanted_parts:
            return False
    platform, want_platform = (str(stereotype.get("platformName") or "").lower(),
                               str(wanted.get("platformName") or "").lower())
    return not (platform and want_platform and "any" not in (platform, want_platform) and platform != want_platform)


def capacity(grid_url: str, capabilities: dict) -> Capacity | None:
    """Grid 4's own count of the slots that fit `capabilities`; None where /status lists no nodes."""
    try:
        nodes = _get_json(f"{api_root(grid_url)}/status")["value"]["nodes"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(nodes, list):
        return None
    wanted = {**DEFAULT_REQUEST, **capabilities}
    total = free = used_nodes = 0
    for node in nodes:
        if node.get("availability") != "UP":
            continue
        fitting = [slot for slot in node.get("slots") or [] if _fits(slot.get("stereotype") or {}, wanted)]
        used_nodes += bool(fitting)
        total += len(fitting)
        free += sum(1 for slot in fitting if not slot.get("session"))
    return Capacity(total, free, used_nodes)


def default_workers(grid_url: str, capabilities: dict) -> tuple[int, str]:
    """How many browsers to ask the grid for when --workers is not given, and a line saying why."""
    found = capacity(grid_url, capabilities)
    if found is None:
        return 1, (f"the grid at {api_root(grid_url)} does not list its slots (/status has no nodes): 1 worker; "
                   "give --workers N for more")
    if found.free:
        return found.free, (f"{found.free} of {found.total} slot(s) for this browser free on {found.nodes} node(s) "
                            f"of the grid at {api_root(grid_url)}: {found.free} worker(s)")
    what = "every slot for this browser is busy" if found.total else "no node that is UP offers this browser"
    return 1, f"{what} on the grid at {api_root(grid_url)}: 1 worker, its request waits in the grid's queue"


def node_of_session(grid_url: str, session_id: str) -> str | None:
    """The URI of the node that runs a session (Grid 4's GraphQL); None where the grid does not say."""
    query = {"query": "query($id: String!) { session(id: $id) { nodeUri } }", "variables": {"id": session_id}}
    try:
        answer = _get_json(f"{api_root(grid_url)}/graphql", query)
        return answer["data"]["session"]["nodeUri"] or None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def parse_capability(text: str) -> tuple[str, object]:
    """KEY=VALUE → (KEY, VALUE): a JSON object, array, true or false where VALUE is one, else the string."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"--capability {text!r} is not KEY=VALUE: e.g. --capability platformName=linux")
    if value.strip()[:1] in ("{", "[") or value.strip() in ("true", "false"):
        try:
            return key.strip(), json.loads(value)
        except ValueError as exc:
            raise UserError(f"--capability {key.strip()}: {value!r} looks like JSON but is not ({exc}); "
                            "quote it whole, e.g. --capability 'se:options={\"a\": 1}'") from None
    return key.strip(), value


def requested_capabilities(from_suite: dict | None, given: list[str] | None) -> dict:
    """The suite's capabilities with each --capability KEY=VALUE over them, checked."""
    merged = dict(from_suite or {})
    merged.update(parse_capability(text) for text in given or [])
    for key in merged:
        if key in DRIVER_OWNED:
            raise UserError(f"capability {key} is set by webdlbench's grid driver: {DRIVER_OWNED[key]}")
    try:
        json.dumps(merged)
    except (TypeError, ValueError) as exc:
        raise UserError(f"the suite's [capabilities] must be JSON values (strings, numbers, booleans, tables, "
                        f"arrays): {exc}") from None
    return merged
