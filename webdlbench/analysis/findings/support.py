"""Finding 1 (specific DL task support; actively maintained) from the stored survey: Table 1's
capabilities, and the npm registry's publish dates the survey read."""
from __future__ import annotations

from webdlbench.analysis.findings.base import (DIFFERS, HOLDS, NOT_TESTED, Evidence, Finding, FindingData, Part,
                                               finding)
from webdlbench.analysis.findings.rules import MAINTAINED_WITHIN_DAYS
from webdlbench.analysis.survey import DAY_S, last_publish


def framework_capabilities(survey: dict) -> dict[str, dict]:
    """Per framework: train / DNN / CNN / RNN as True, False or None (unknown), from survey facts."""
    found = {}
    for name, facts in survey.items():
        describe = (facts.get("probe") or {}).get("describe") or {}
        caps = {kind: (describe.get("network_types") or {}).get(kind, {}).get("supported")
                for kind in ("DNN", "CNN", "RNN")}
        trains = [s for s in facts.get("specs", []) if s.get("task") == "train"]
        declared = {t for tasks in (facts.get("declared", {}).get("backends") or {}).values() for t in tasks}
        if trains:
            caps["train"] = any(s.get("outcome") == "ok" for s in trains)
        else:  # not run: known only when no backend even declares training
            caps["train"] = False if declared and "train" not in declared else None
        found[name] = {"title": facts.get("title", name), **caps}
    return found


def judge_task_support(data: FindingData) -> Finding:
    if not data.survey:
        return finding(1, [Part(NOT_TESTED, "No survey is stored.")], [])
    caps = framework_capabilities(data.survey)
    evidence = [Evidence(f"{caps[n]['title']}: " + ", ".join(
        f"{k} {'yes' if caps[n][k] else 'no' if caps[n][k] is False else 'unknown'}"
        for k in ("train", "DNN", "CNN", "RNN")), "table1") for n in caps]
    maintained, said = _maintenance(data)
    return finding(1, [*_specific_parts(caps), maintained], evidence + said)


def _specific_parts(caps: dict[str, dict]) -> list[Part]:
    general, specific, unknown = [], [], []
    for name, cap in caps.items():
        values = [cap[k] for k in ("train", "DNN", "CNN", "RNN")]
        (specific if False in values else general if all(v is True for v in values) else unknown).append(name)
    known = len(general) + len(specific)
    if known == 0:
        return [Part(NOT_TESTED, "The survey could not establish any framework's capabilities.")]
    if 2 * len(specific) > known:
        share = Part(HOLDS, f"{len(specific)} of {known} frameworks support only a subset of training/DNN/CNN/RNN.")
    else:
        share = Part(DIFFERS, f"Only {len(specific)} of {known} frameworks support only a subset of "
                              "training/DNN/CNN/RNN.")
    if unknown:
        share.how += f" Not counted (a fact unknown): {', '.join(caps[n]['title'] for n in unknown)}."
    if "tfjs" in general:
        tfjs = Part(HOLDS, "TensorFlow.js supports all four.")
    elif "tfjs" in specific:
        tfjs = Part(DIFFERS, "TensorFlow.js lacks one of the four.")
    else:
        tfjs = Part(NOT_TESTED, "TensorFlow.js's capabilities are not known from this survey.",
                    "webdlbench survey --frameworks tfjs --store STORE")
    return [share, tfjs]


def _maintenance(data: FindingData) -> tuple[Part, list[Evidence]]:
    """Actively maintained: the newest npm version published within MAINTAINED_WITHIN_DAYS of the survey."""
    fill = "webdlbench survey --store STORE on a machine whose npm registry answers with npm's publish dates"
    evidence, maintained, stale, unknown = [], [], [], []
    for name, facts in data.survey.items():
        title = facts.get("title", name)
        registry = facts.get("registry")
        published, why = last_publish(registry)
        if published is None:
            unknown.append(f"{title} ({why})")
            continue
        asked = float(registry.get("asked_at") or data.survey_time or published)
        age_days = (asked - published) / DAY_S
        (maintained if age_days <= MAINTAINED_WITHIN_DAYS else stale).append(title)
        evidence.append(Evidence(f"{title}: npm {registry.get('package')}: {why}, {age_days:,.0f} days before the "
                                 "survey", "table1"))
    known = len(maintained) + len(stale)
    if known == 0:
        return (Part(NOT_TESTED, "Maintenance: no publish dates to judge — " + "; ".join(unknown) + ".", fill),
                evidence)
    skipped = f" Not counted: {'; '.join(unknown)}." if unknown else ""
    if 2 * len(maintained) > known:
        part = Part(HOLDS, f"Maintenance: {len(maintained)} of {known} frameworks published a version within "
                           f"{MAINTAINED_WITHIN_DAYS} days of the survey ({', '.join(maintained)}).{skipped}")
    else:
        part = Part(DIFFERS, f"Maintenance: only {len(maintained)} of {known} frameworks published a version within "
                             f"{MAINTAINED_WITHIN_DAYS} days of the survey; not {', '.join(stale)}.{skipped}")
    return part, evidence
