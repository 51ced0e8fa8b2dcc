"""Everything a report is built from, read once from the store: results, samples, runs, the stored
survey, the environments, and the summaries (one per environment, so that results from several
browsers or nodes are never pooled into one median)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from webdlbench.analysis.compare import REPLICATE_COLUMNS, replicate_medians
from webdlbench.analysis.stats import SUMMARY_COLUMNS, summary_frame
from webdlbench.frameworks import FRAMEWORKS
from webdlbench.models import user_models
from webdlbench.native import RUNTIMES
from webdlbench.report.environments import Environment, group_environments
from webdlbench.store import Store


@dataclass
class View:
    """One browser environment with the native results of its machine (or native results alone when
    there is no browser): what findings and browser/native ratios are computed over."""

    label: str
    browser: Environment | None
    natives: list[Environment]
    summary: pd.DataFrame
    replicates: pd.DataFrame   # replicate medians behind the summary (compare.replicate_medians)

    @property
    def fingerprint(self) -> dict:
        return self.browser.fingerprint if self.browser else (self.natives[0].fingerprint if self.natives else {})

    @property
    def description(self) -> str:
        parts = [f"{e.label}: {e.description}" for e in ([self.browser] if self.browser else []) + self.natives]
        return "; ".join(parts)


@dataclass
class ReportData:
    store: str
    results: pd.DataFrame
    samples: pd.DataFrame
    envs: dict[str, dict]
    runs: pd.DataFrame
    survey: dict | None
    environments: list[Environment]
    env_of: dict[int, str]
    summary: pd.DataFrame    # summary_frame per environment, with an `environment` column
    views: list[View] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)         # browser framework -> title
    native_titles: dict[str, str] = field(default_factory=dict)  # native runtime -> title
    replicates: dict[str, pd.DataFrame] = field(default_factory=dict)  # environment -> replicate medians

    @property
    def split(self) -> bool:
        """More than one environment of one runtime: series and tables carry the environment."""
        runtimes = [e.runtime for e in self.environments]
        return any(runtimes.count(r) > 1 for r in set(runtimes))

    def title(self, framework: str, runtime: str = "browser") -> str:
        if runtime == "browser":
            return self.titles.get(framework, framework)
        return f"{self.native_titles.get(framework, framework)} (native)"


def load(store_path: Path | str, pool_runs: bool = False) -> ReportData:
    """The store's data; a spec measured in several runs counts its latest run only, unless `pool_runs`."""
    with Store.open(store_path, create=False) as store:
        results, samples, envs = store.frames()
        runs = store.runs()
        survey = store.latest_survey()
    if not pool_runs:
        results, samples = latest_runs_only(results, samples, runs)
    results = user_models.without_paths(results)  # a report names a user's file, never its machine path
    environments, env_of = group_environments(results, envs)
    results = results.assign(environment=results["result_id"].map(lambda r: env_of.get(int(r), "")))
    samples = samples.assign(environment=samples["result_id"].map(lambda r: env_of.get(int(r), "")))
    summaries = {e.label: _summary(results, samples, e.label) for e in environments}
    replicates = {e.label: replicate_medians(samples[samples["environment"] == e.label]) for e in environments}
    summary = pd.concat(list(summaries.values()), ignore_index=True) if summaries else \
        pd.DataFrame(columns=[*SUMMARY_COLUMNS, "environment"])
    return ReportData(str(store_path), results, samples, envs, runs, survey, environments, env_of, summary,
                      _views(environments, summaries, replicates), {name: fw.title for name, fw in FRAMEWORKS.items()},
                      {name: rt.title for name, rt in RUNTIMES.items()}, replicates)


def latest_runs_only(results: pd.DataFrame, samples: pd.DataFrame,
                     runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per spec and environment, the results of the latest run that measured it: two runs of one spec
    are two measurements (the machine's load may differ between them), never one pooled sample.
    A result with no environment (it failed before the machine was fingerprinted) is superseded by
    any later run of its spec: a spec measured again after a fix is judged by the new result."""
    if results.empty:
        return results, samples
    order = {run_id: i for i, run_id in enumerate(runs["run_id"])}  # runs come ordered by start
    ranked = results.assign(_order=results["run_id"].map(order).fillna(-1))
    latest = ranked.groupby(["spec_hash", "env_id"], dropna=False)["_order"].transform("max")
    superseded = ranked["env_id"].isna() & (ranked["_order"] < ranked.groupby("spec_hash")["_order"].transform("max"))
    kept = results[(ranked["_order"] == latest) & ~superseded]
    return kept, samples[samples["result_id"].isin(kept["result_id"])]


def _summary(results: pd.DataFrame, samples: pd.DataFrame, label: str) -> pd.DataFrame:
    mine = summary_frame(samples[samples["environment"] == label], results[results["environment"] == label])
    return mine.assign(environment=label)


def _views(environments: list[Environment], summaries: dict[str, pd.DataFrame],
           replicates: dict[str, pd.DataFrame]) -> list[View]:
    browsers = [e for e in environments if e.runtime == "browser"]
    natives = [e for e in environments if e.runtime == "native"]
    if not browsers:
        return [View(n.label, None, [n], summaries[n.label], replicates[n.label]) for n in natives]
    views = []
    for browser in browsers:
        same_machine = [n for n in natives if n.machine == browser.machine]
        labels = [browser.label, *(n.label for n in same_machine)]
        views.append(View(browser.label, browser, same_machine,
                          pd.concat([summaries[label] for label in labels], ignore_index=True),
                          pd.concat([replicates[label] for label in labels], ignore_index=True)
                          if labels else pd.DataFrame(columns=REPLICATE_COLUMNS)))
    return views
