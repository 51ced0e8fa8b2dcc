"""Table 5's grid, cell by cell: which of the paper's (backend, task, depth, width) configurations
of each network type have a browser/native pair here, and what happened to the others. Pure
functions over the results frame (Store.frames) and the ratio frame (analysis/gap.py); no I/O."""
from __future__ import annotations

import pandas as pd

from webdlbench.analysis import gap, paper

# The paper's backends (Table 5) and the TF.js backend that stands for each here.
BROWSER_BACKEND = {"CPU": "cpu", "GPU": "webgl"}
# The native backends each row may pair with (analysis/gap.py): the CPU row only with native CPU;
# the GPU row with native GPU, or native CPU where no native GPU result is ok (its fallback rule).
NATIVE_BACKENDS = {"CPU": ("cpu",), "GPU": ("gpu", "cpu")}
TASKS = {"training": "train", "inference": "infer"}
RAN, BROWSER_ONLY, NATIVE_ONLY, FAILED, TIMED_OUT, SKIPPED, NOT_RUN = (
    "ran", "browser only", "native only", "failed", "timed out", "skipped", "not run")
STATUSES = (RAN, BROWSER_ONLY, NATIVE_ONLY, FAILED, TIMED_OUT, SKIPPED, NOT_RUN)
CELL_COLUMNS = ["network", "backend", "task", "depth", "width", "status", "detail"]


def cell_status(browser: pd.DataFrame, native: pd.DataFrame, paired: bool) -> tuple[str, str]:
    """(status, detail) of one cell from its browser and native results: ran when a browser/native
    pair of ok results exists; else the reason the pair is missing, worst first. `native` holds the
    native results the cell's browser backend may pair with; one ok among them is enough, so the
    others' failures (e.g. native GPU unsupported where native CPU ran) are not the cell's."""
    if paired:
        return RAN, ""
    if (native["outcome"] == "ok").any():
        native = native[native["outcome"] == "ok"]
    outcomes = [*browser["outcome"], *native["outcome"]]
    if "timeout" in outcomes:
        return TIMED_OUT, _sides(browser, native, "timeout")
    if "skipped" in outcomes:
        return SKIPPED, _sides(browser, native, "skipped")
    failed = [o for o in outcomes if o != "ok"]
    if failed:
        return FAILED, _sides(browser, native, *sorted(set(failed)))
    browser_ok, native_ok = (browser["outcome"] == "ok").any(), (native["outcome"] == "ok").any()
    if browser_ok and not native_ok:
        return BROWSER_ONLY, "no native result"
    if native_ok and not browser_ok:
        return NATIVE_ONLY, "no browser result"
    return NOT_RUN, ""


def _sides(browser: pd.DataFrame, native: pd.DataFrame, *outcomes: str) -> str:
    said = [f"{side}: {o}" for side, frame in (("browser", browser), ("native", native))
            for o in dict.fromkeys(frame["outcome"]) if o in outcomes]
    return "; ".join(said)


def coverage_frame(results: pd.DataFrame, ratios: pd.DataFrame, network: str) -> pd.DataFrame:
    """One row per cell of the paper's grid for `network` (paper.TABLE5): its status and detail.
    `results` and `ratios` are one environment's (or one view's)."""
    grid = paper.TABLE5[network]
    models = [m for m, n in gap.NETWORK_TYPES.items() if n == network]
    mine = results[results["model"].isin(models)] if not results.empty else results
    browser = mine[(mine["runtime"] == "browser") & (mine["framework"] == "tfjs")] if not mine.empty else mine
    native = mine[mine["runtime"] == "native"] if not mine.empty else mine
    pairs = ratios[(ratios["network"] == network) & (ratios["browser_framework"] == "tfjs")] \
        if not ratios.empty else ratios
    paired = {(r["browser_backend"], r["task"], int(r["depth"]), int(r["width"])) for r in pairs.to_dict("records")}
    rows = []
    for backend_label, backend in BROWSER_BACKEND.items():
        for task_label, task in TASKS.items():
            for depth in grid["depth"]:
                for width in grid["width"]:
                    def cell(frame):
                        if frame.empty:
                            return frame
                        return frame[(frame["task"] == task) & (frame["depth"] == depth) & (frame["width"] == width)]
                    b, n = cell(browser), cell(native)
                    b = b[b["backend"] == backend] if not b.empty else b
                    n = n[n["backend"].isin(NATIVE_BACKENDS[backend_label])] if not n.empty else n
                    status, detail = cell_status(b, n, (backend, task, depth, width) in paired)
                    rows.append({"network": network, "backend": backend_label, "task": task_label, "depth": depth,
                                 "width": width, "status": status, "detail": detail})
    return pd.DataFrame(rows, columns=CELL_COLUMNS)


def outside_grid(ratios: pd.DataFrame, network: str) -> list[str]:
    """Depth × width of TF.js pairs run here that are not in the paper's grid for `network`."""
    grid = paper.TABLE5[network]
    pairs = ratios[(ratios["network"] == network) & (ratios["browser_framework"] == "tfjs")] \
        if not ratios.empty else ratios
    shapes = {(int(d), int(w)) for d, w in zip(pairs.get("depth", []), pairs.get("width", []))
              if int(d) not in grid["depth"] or int(w) not in grid["width"]}
    return [f"{d}×{w}" for d, w in sorted(shapes)]


def coverage_counts(cells: pd.DataFrame) -> str:
    """'25 of 48 cells ran; 10 skipped, 3 timed out, 10 not run'."""
    counts = cells["status"].value_counts()
    rest = [f"{int(counts[s])} {s}" for s in STATUSES[1:] if counts.get(s, 0)]
    return f"{int(counts.get(RAN, 0))} of {len(cells)} cells ran" + (f"; {', '.join(rest)}" if rest else "")
