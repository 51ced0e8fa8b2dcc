"""Paper Table 1, regenerated: what each framework offers, measured here, beside the paper's values.

Pure functions: `build_table(facts)` turns the facts that `webdlbench survey` collected (probe
pages, tiny pipeline runs, Node.js probes, file sizes; see commands/survey.py) into a DataFrame with
one row per characteristic and one column per framework. Rows that cannot be measured offline
(GitHub stars, last commit, contributors, ...) carry the paper's values (Nov. 2018), labelled.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import pandas as pd

PAPER_LABEL = "paper (2018)"
MEASURED_LABEL = "measured here"
# The paper's column order (Table 1), then frameworks the paper did not have.
PAPER_ORDER = ("tfjs", "convnetjs", "kerasjs", "webdnn", "brainjs", "synaptic", "mind")
NETWORK_TYPES = ("DNN", "CNN", "RNN")
GPU_BACKENDS = ("webgl", "webgpu", "gpu")  # backend names that mean "runs on the GPU"
DAY_S = 86_400.0
CLOCK_SLACK_S = DAY_S  # a publish date a day after the question is clock skew, not a mirror

# Table 1 of Ma et al. (WWW'19), as printed ("as of Nov. 2018"). NA is the paper's own "NA".
PAPER_2018: dict[str, dict[str, str]] = {
    "tfjs": {"stars": "9453", "contributor": "Google", "last_commit": "Oct 30, 2018", "status": "Active",
             "training": "Y", "DNN": "Y", "CNN": "Y", "RNN": "Y", "layers": "49", "activations": "16",
             "optimizers": "7", "gpu": "Y", "documents": "Y", "demos": "20", "import_tensorflow": "Y",
             "import_keras": "Y", "import_caffe_pytorch": "N", "save": "Y", "load": "Y", "node": "Y",
             "size": "732KB"},
    "convnetjs": {"stars": "9364", "contributor": "Stanford University", "last_commit": "Nov 25, 2016",
                  "status": "Not Active", "training": "Y", "DNN": "Y", "CNN": "Y", "RNN": "N", "layers": "7",
                  "activations": "4", "optimizers": "3", "gpu": "N", "documents": "Y", "demos": "10",
                  "import_tensorflow": "N", "import_keras": "N", "import_caffe_pytorch": "N", "save": "Y",
                  "load": "Y", "node": "Y", "size": "33KB"},
    "kerasjs": {"stars": "4348", "contributor": "Leon Chen", "last_commit": "Aug 17, 2018", "status": "Not Active",
                "training": "N", "DNN": "Y", "CNN": "Y", "RNN": "Y", "layers": "NA", "activations": "NA",
                "optimizers": "NA", "gpu": "Y", "documents": "Not finished", "demos": "9", "import_tensorflow": "N",
                "import_keras": "Y", "import_caffe_pytorch": "N", "save": "N", "load": "Y", "node": "Y",
                "size": "650KB"},
    "webdnn": {"stars": "1464", "contributor": "The University of Tokyo", "last_commit": "Oct 25, 2018",
               "status": "Active", "training": "N", "DNN": "Y", "CNN": "Y", "RNN": "Y", "layers": "NA",
               "activations": "NA", "optimizers": "NA", "gpu": "Y", "documents": "Y", "demos": "8",
               "import_tensorflow": "Y", "import_keras": "Y", "import_caffe_pytorch": "Y", "save": "N", "load": "Y",
               "node": "Y", "size": "130KB"},
    "brainjs": {"stars": "6366", "contributor": "Robert Plummer", "last_commit": "Nov 5, 2018", "status": "Active",
                "training": "Y", "DNN": "Y", "CNN": "N", "RNN": "Y", "layers": "7", "activations": "4",
                "optimizers": "1", "gpu": "N", "documents": "Only tutorials", "demos": "7", "import_tensorflow": "N",
                "import_keras": "N", "import_caffe_pytorch": "N", "save": "Y", "load": "Y", "node": "Y",
                "size": "819KB"},
    "synaptic": {"stars": "6315", "contributor": "Juan Cazala", "last_commit": "Mar 25, 2018", "status": "Active",
                 "training": "Y", "DNN": "Y", "CNN": "N", "RNN": "Y", "layers": "1", "activations": "5",
                 "optimizers": "NA", "gpu": "N", "documents": "Y", "demos": "7", "import_tensorflow": "N",
                 "import_keras": "N", "import_caffe_pytorch": "N", "save": "Y", "load": "Y", "node": "Y",
                 "size": "106KB"},
    "mind": {"stars": "1333", "contributor": "Steven Miller", "last_commit": "Jul 7, 2017", "status": "Not Active",
             "training": "Y", "DNN": "Y", "CNN": "N", "RNN": "N", "layers": "1", "activations": "2",
             "optimizers": "NA", "gpu": "N", "documents": "Y", "demos": "4", "import_tensorflow": "N",
             "import_keras": "N", "import_caffe_pytorch": "N", "save": "Y", "load": "Y", "node": "Y",
             "size": "NA"},
}


@dataclass(frozen=True)
class Row:
    """One characteristic: its label, where its values come from, how, and how to compute a cell."""

    key: str
    label: str
    source: str                          # MEASURED_LABEL or PAPER_LABEL
    method: str                          # one line; docs/frameworks.md says more per framework
    cell: Callable[[dict], str] | None = None   # facts of one framework -> cell (measured rows)
    paper_key: str | None = None         # the PAPER_2018 value shown beside (or instead of) it


# -- cells of the measured rows ------------------------------------------------------------------
def _kib(n: int) -> str:
    return f"{n:,} B ({n / 1024:.0f} KiB)"


def _describe(facts: dict) -> dict | None:
    probe = facts.get("probe") or {}
    return probe.get("describe")


def _probe_missing(facts: dict) -> str:
    probe = facts.get("probe")
    if not probe:
        return "not probed"
    if probe.get("outcome") != "ok":
        return f"probe page failed: {probe.get('error') or probe.get('outcome')}"
    return f"n/a ({probe.get('describe_reason') or 'no introspection for this framework'})"


def _version(facts: dict) -> str:
    version = facts.get("version")
    page = (facts.get("probe") or {}).get("adapter_version")
    if not version:
        if facts.get("user_bundle"):
            return f"user bundle (--lib): {facts['user_bundle'].rsplit('/', 1)[-1]}" + (f", page reports {page}" if page else "")
        return f"{page} (reported by the page)" if page else "not installed"
    if page and page != version:
        return f"{version} (page reports {page})"
    return version


def _bundle(facts: dict, gzipped: bool) -> str:
    bundle = facts.get("bundle")
    if not bundle:
        return "no bundle"
    size = _kib(bundle["gzip_bytes" if gzipped else "bytes"])
    files = ", ".join(f.rsplit("/", 1)[-1] for f in bundle["files"])
    return f"{size}: {files}" if not gzipped else size


def _specs(facts: dict, task: str | None = None, gpu: bool | None = None) -> list[dict]:
    return [s for s in facts.get("specs", []) if (task is None or s["task"] == task)
            and (gpu is None or (s["backend"] in GPU_BACKENDS) == gpu)]


def _spec_text(spec: dict) -> str:
    if spec["outcome"] == "ok":
        return f"{spec['backend']} {spec['task']} ok"
    error = (spec.get("error") or "").splitlines()[0][:160] if spec.get("error") else ""
    return f"{spec['backend']} {spec['task']}: {spec['outcome']}" + (f" ({error})" if error else "")


def _training(facts: dict) -> str:
    runs = _specs(facts, "train")
    describe = _describe(facts) or {}
    if not runs:
        api = describe.get("training_api")
        if api:
            return f"not run (API found: {api})"
        reason = "no training API in the library" if describe else "no train task declared"
        return f"N ({reason})"
    ran = [s for s in runs if s["outcome"] in ("ok", "check_failed")]
    if not ran:
        return "N (" + "; ".join(_spec_text(s) for s in runs) + ")"
    spec = ran[0]
    checks = spec.get("checks") or {}
    loss = ""
    if "loss_first" in checks:
        loss = f", loss {checks['loss_first']:.3g} → {checks['loss_last']:.3g}"
    verdict = "Y" if spec["outcome"] == "ok" else "Y (ran, but the loss did not fall)"
    return f"{verdict}: {spec['backend']} train{loss}"


def _network_type(kind: str) -> Callable[[dict], str]:
    def cell(facts: dict) -> str:
        describe = _describe(facts)
        if not describe:
            return _probe_missing(facts)
        entry = (describe.get("network_types") or {}).get(kind)
        if not entry or entry.get("supported") is None:
            return f"n/a ({(entry or {}).get('evidence') or 'not exposed by the library'})"
        return ("Y" if entry["supported"] else "N") + (f" ({entry['evidence']})" if entry.get("evidence") else "")
    return cell


def _count(key: str) -> Callable[[dict], str]:
    def cell(facts: dict) -> str:
        describe = _describe(facts)
        if not describe:
            return _probe_missing(facts)
        entry = describe.get(key) or {}
        if entry.get("count") is None:
            return f"n/a ({entry.get('reason') or 'not counted'})"
        return f"{entry['count']} ({entry['method']})" if entry.get("method") else str(entry["count"])
    return cell


def _gpu(facts: dict) -> str:
    declared = facts.get("declared", {}).get("gpu_backends", [])
    describe = _describe(facts) or {}
    if not declared:
        api = describe.get("gpu_api")
        return f"N (no GPU backend declared; library: {api})" if api else "N (no GPU backend)"
    runs = _specs(facts, gpu=True)
    if not runs:
        return "not run (" + ", ".join(declared) + " declared)"
    ok = [s for s in runs if s["outcome"] in ("ok", "check_failed")]
    parts = [_spec_text(s) for s in runs]
    software = any(s.get("software_gpu") for s in ok)
    note = "; software GPU here (SwiftShader)" if software else ""
    return ("Y: " if ok else "N: ") + "; ".join(parts) + note


def _save(facts: dict) -> str:
    describe = _describe(facts) or {}
    api = describe.get("save_api")
    if facts.get("declared", {}).get("write_model"):
        return "N (no serializer: webdlbench writes the model in Python)" + (f"; library has {api}" if api else "")
    saved = [s for s in _specs(facts, "infer") if s.get("saved")]
    infer = _specs(facts, "infer")
    if saved:
        return f"Y: {api or 'framework serializer'} (saved by the page)"
    if infer:
        return "N: " + "; ".join(_spec_text(s) for s in infer)
    return f"not run (API: {api})" if api else "N (no save API found)"


def _load(facts: dict) -> str:
    describe = _describe(facts) or {}
    api = describe.get("load_api")
    infer = _specs(facts, "infer")
    if not infer:
        return f"not run (API: {api})" if api else "N (no infer task declared)"
    loaded = [s for s in infer if s["outcome"] in ("ok", "check_failed")]
    if loaded:
        spec = loaded[0]
        verdict = "Y" if spec["outcome"] == "ok" else "Y (loaded; outputs differ from the reference)"
        return f"{verdict}: {api or 'load'} on {spec['backend']}"
    return "N: " + "; ".join(_spec_text(s) for s in infer)


def last_publish(registry: dict | None) -> tuple[float | None, str]:
    """(the newest version's publish time as a Unix time, or None; why / what it is), from the
    registry's answer to `npm view PACKAGE time --json` stored by the survey. The answer counts as
    npm's publish dates only when it has npm's `created` and `modified` entries and no version is
    dated before `created` or after the question was asked (a mirror that stamps its own copy
    times fails this)."""
    if not registry:
        return None, "not asked (survey without registry facts)"
    if not registry.get("answered"):
        return None, f"the registry did not answer ({registry.get('error') or 'no reason recorded'})"
    times = registry.get("time") or {}
    if "created" not in times or "modified" not in times:
        return None, ("the registry's answer has no `created`/`modified` times: these are not npm's publish "
                      "dates (a mirror's copy times?)")
    try:
        created = _unix(times["created"])
        versions = {v: _unix(t) for v, t in times.items() if v not in ("created", "modified")}
    except ValueError as exc:
        return None, f"unreadable publish date in the registry's answer ({exc})"
    asked = float(registry.get("asked_at") or 0)
    if not versions:
        return None, "the registry lists no published version"
    if any(t < created - CLOCK_SLACK_S or (asked and t > asked + CLOCK_SLACK_S) for t in versions.values()):
        return None, "publish dates before the package's creation or after the survey: not npm's publish dates"
    newest = max(versions, key=versions.get)
    return versions[newest], f"version {newest} published {_date(versions[newest])}"


def _unix(text: str) -> float:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()


def _date(unix: float) -> str:
    return datetime.fromtimestamp(unix, timezone.utc).strftime("%Y-%m-%d")


def _last_publish(facts: dict) -> str:
    published, why = last_publish(facts.get("registry"))
    if published is None:
        return f"not known ({why})"
    return f"{_date(published)} (npm {facts['registry'].get('package')}: {why})"


def _node(facts: dict) -> str:
    node = facts.get("node")
    if not node or not node.get("ran"):
        return f"not probed ({(node or {}).get('detail', 'no Node.js probe')})"
    return ("Y" if node["ok"] else "N") + f" ({node['detail']})"


ROWS: tuple[Row, ...] = (
    Row("version", "Version installed", MEASURED_LABEL, "package.json of the installed npm package (the page's own "
        "version string when it has one)", _version),
    Row("bundle_bytes", "Browser bundle size", MEASURED_LABEL, "bytes of the files the page loads for the first "
        "backend (wasm binaries fetched later not included)", lambda f: _bundle(f, False), "size"),
    Row("bundle_gzip", "Browser bundle size, gzipped", MEASURED_LABEL, "the same files, gzip level 9", lambda f: _bundle(f, True)),
    Row("training", "Support for training", MEASURED_LABEL, "a tiny train spec through the real pipeline "
        "(784-8-10, batch 32); Y when it ran and the loss fell", _training, "training"),
    *(Row(f"net_{k}", f"Network type {k}", MEASURED_LABEL, "probe page: classes the loaded library exposes, built "
          "and run on a tiny input where possible (see docs/frameworks.md)", _network_type(k), k) for k in NETWORK_TYPES),
    Row("layers", "Layer types", MEASURED_LABEL, "probe page: counted from the loaded library (rule per framework "
        "in the cell)", _count("layer_types"), "layers"),
    Row("activations", "Activation types", MEASURED_LABEL, "probe page: counted from the loaded library",
        _count("activation_types"), "activations"),
    Row("optimizers", "Optimizer types", MEASURED_LABEL, "probe page: counted from the loaded library",
        _count("optimizer_types"), "optimizers"),
    Row("gpu", "GPU acceleration", MEASURED_LABEL, "tiny specs on every GPU backend (webgl/webgpu) through the real "
        "pipeline; the renderer / adapter is recorded", _gpu, "gpu"),
    Row("save", "API to save a model", MEASURED_LABEL, "the infer spec's prepare page saved the model with the "
        "framework's serializer", _save, "save"),
    Row("load", "API to load a model", MEASURED_LABEL, "the infer spec loaded the saved/written model and its "
        "outputs were checked", _load, "load"),
    Row("node", "Runs in Node.js", MEASURED_LABEL, "Node.js requires the npm package (or the bundle the page loads) "
        "and runs a tiny network", _node, "node"),
    Row("last_publish", "Last npm publish", MEASURED_LABEL, "`npm view PACKAGE time --json` at survey time: the newest "
        "version's date; only npm's own publish dates count (the answer must carry npm's created/modified entries, "
        "no version dated before creation or after the survey)", _last_publish, "last_commit"),
    Row("stars", "GitHub stars", PAPER_LABEL, "not measurable offline", paper_key="stars"),
    Row("contributor", "Main contributor", PAPER_LABEL, "not measurable offline", paper_key="contributor"),
    Row("last_commit", "Last commit date", PAPER_LABEL, "not measurable offline", paper_key="last_commit"),
    Row("status", "Status", PAPER_LABEL, "not measurable offline", paper_key="status"),
    Row("documents", "Documents", PAPER_LABEL, "not measurable offline", paper_key="documents"),
    Row("demos", "Demos", PAPER_LABEL, "not measurable offline", paper_key="demos"),
    Row("import_tensorflow", "Imports models from TensorFlow", PAPER_LABEL, "converters live outside the browser",
        paper_key="import_tensorflow"),
    Row("import_keras", "Imports models from Keras", PAPER_LABEL, "converters live outside the browser",
        paper_key="import_keras"),
    Row("import_caffe_pytorch", "Imports models from Caffe & PyTorch", PAPER_LABEL,
        "converters live outside the browser", paper_key="import_caffe_pytorch"),
)


def column_order(names) -> list[str]:
    """The paper's column order first, then any other framework in name order."""
    names = list(names)
    return [n for n in PAPER_ORDER if n in names] + sorted(n for n in names if n not in PAPER_ORDER)


def _with_paper(value: str, paper: str | None) -> str:
    """A measured cell with the paper's value beside it when the paper had one and it differs."""
    if paper is None:
        return value
    head = value.split(" ", 1)[0].rstrip(":")
    if head == paper or value == paper:
        return value
    return f"{value} · 2018: {paper}"


def build_table(facts: dict[str, dict]) -> pd.DataFrame:
    """Rows = characteristics (index: row label), columns = framework titles + 'source' + 'method'."""
    names = column_order(facts)
    records = []
    for row in ROWS:
        record = {"row": row.label}
        for name in names:
            fw = facts[name]
            paper = PAPER_2018.get(name, {}).get(row.paper_key) if row.paper_key else None
            if row.cell is None:
                record[fw["title"]] = paper if paper is not None else "— (not in the paper)"
            elif not fw.get("available", True):
                record[fw["title"]] = (f"unavailable: {fw.get('reason', '')}" if row.key == "version"
                                       else _with_paper("unavailable", paper))
            else:
                record[fw["title"]] = _with_paper(row.cell(fw), paper)
        record["source"] = row.source
        record["method"] = row.method
        records.append(record)
    return pd.DataFrame.from_records(records).set_index("row")


def to_markdown(table: pd.DataFrame) -> str:
    """GitHub-flavoured Markdown: one column per framework, then the row's source; methods as notes."""
    frameworks = [c for c in table.columns if c not in ("source", "method")]
    header = ["", *frameworks, "source"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    notes = []
    for i, (label, row) in enumerate(table.iterrows(), start=1):
        cells = [_escape(str(row[c])) for c in frameworks]
        lines.append(f"| {label} [{i}] | " + " | ".join(cells) + f" | {row['source']} |")
        notes.append(f"[{i}] {label}: {row['method']}.")
    return "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
