"""Suite files (TOML) -> ordered, validated Specs.

A suite has a name, `[defaults]` and one or more `[[grid]]` tables. In a grid, every axis may be a
value or a list; lists expand as a cartesian product. `exclude` drops the combinations that match
all keys of one of its entries, `include` adds whole extra combinations (asv's matrix model).
An optional `[capabilities]` table holds the W3C capabilities a Selenium Grid is asked for under
`--driver grid` (browser version, platform, a farm's options); other drivers do not use it.
"""
from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from webdlbench import frameworks, hostinfo, limits, native
from webdlbench.errors import UserError
from webdlbench.limits import shown
from webdlbench.models import kinds, user_models
from webdlbench.paths import SUITES_DIR
from webdlbench.spec import TASKS, Spec

# threads is an axis too (RQ4 compares 1 thread with every core), and a setting in [defaults].
# threads = "all" is every CPU this machine lets the tool use (hostinfo.cpu_count()), resolved when the
# suite is read: a spec records the number, so "all" on a 2-core and on a 16-core machine are two specs.
ALL_CPUS = "all"
AXES = ("runtime", "framework", "backend", "task", "model", "depth", "width", "batch", "threads")
# Budget settings: allowed in [defaults] and in any grid (a grid's value wins).
SETTINGS = {
    "samples": int, "sample_time_s": (int, float), "warmup": int, "max_warmup": int, "replicates": int,
    "max_replicates": int, "precision": (int, float), "precision_budget_s": (int, float), "page_loads": int,
    "time_budget_s": (int, float), "time_limit_s": (int, float), "seed": int, "threads": int, "notes": str,
    "profile": bool, "memory": bool, "qoe": bool, "ops": bool, "rounds": int,
}
REQUIRED_AXES = ("framework", "backend", "task", "depth", "width")
MODELS = tuple(kinds.KINDS)  # model kinds (models/kinds.py): mlp, cnn, lstm, keras:<Name>
# Lower bounds that make a spec meaningful (warm-up may be skipped; the rest may not be zero).
MINIMA = {"depth": 1, "width": 1, "batch": 1, "samples": 1, "sample_time_s": 0, "warmup": 0, "max_warmup": 0,
          "page_loads": 1, "replicates": 1, "max_replicates": 0, "precision": 0, "precision_budget_s": 0,
          "time_budget_s": 1, "time_limit_s": 0, "seed": 0, "threads": 1, "rounds": 1}
TOP_LEVEL = {"name", "description", "quick", "defaults", "grid", "capabilities"}


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    source: str          # the file it came from
    specs: tuple[Spec, ...]
    capabilities: dict = field(default_factory=dict, hash=False)  # asked of a Selenium Grid (--driver grid)


def builtin_suites() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.toml"))


def resolve_suite_path(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise UserError(f"suite file {name_or_path} not found: give a built-in suite "
                            f"({', '.join(builtin_suites())}) or the path of a TOML file")
        return path
    builtin = SUITES_DIR / f"{name_or_path}.toml"
    if not builtin.is_file():
        raise UserError(f"unknown suite {shown(name_or_path)}: built-in suites are "
                        f"{', '.join(builtin_suites())}, or give the path of a .toml file")
    return builtin


def load_suite(name_or_path: str, samples: int | None = None, quick: bool = False,
               max_specs: int = limits.DEFAULT_MAX_SPECS) -> Suite:
    """Read, validate and expand a suite; `samples` overrides every spec's sample count. With
    `quick`, the suite's CI-sized variant instead (its top-level `quick`: a built-in suite's name,
    or a .toml path relative to the suite's folder). A suite of more than `max_specs` specs is
    refused before it is expanded."""
    path = resolve_suite_path(name_or_path)
    data = _read_toml(path)
    if quick:
        variant = data.get("quick")
        if not isinstance(variant, str) or not variant:
            with_quick = [n for n in builtin_suites() if _read_toml(SUITES_DIR / f"{n}.toml").get("quick")]
            raise UserError(f"suite {name_or_path} has no quick variant: run it without --quick, or one of "
                            f"{', '.join(with_quick)} with it (a suite names its variant with quick = \"SUITE\")")
        if variant.endswith(".toml"):
            variant = str(path.parent / variant)
        return load_suite(variant, samples, max_specs=max_specs)
    specs = expand(data, where=str(path), max_specs=max_specs, base=path.parent)
    if samples is not None:
        if samples < 1:
            raise UserError("--samples must be at least 1")
        if limits.field_problem("samples", samples):
            raise UserError(f"--samples {samples} is too many: at most {limits.MAXIMA['samples']}")
        specs = [Spec.from_dict({**s.to_dict(), "samples": samples}) for s in specs]
    return Suite(name=data.get("name", path.stem), description=data.get("description", ""),
                 source=str(path), specs=tuple(specs), capabilities=data.get("capabilities", {}))


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: TOML syntax error: {exc}; fix the file and run again") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the suite file ({exc})") from None


def expand(data: dict, where: str = "suite", max_specs: int = limits.DEFAULT_MAX_SPECS,
           base: Path | None = None) -> list[Spec]:
    """Validate a parsed suite and expand its grids into Specs (duplicates dropped, order kept);
    more than `max_specs` combinations are refused before any is made. A `file:` model's path is
    relative to `base` (the suite's folder; default: the working directory)."""
    _check_keys(data, TOP_LEVEL, where)
    if not all(isinstance(data.get(key, ""), str) for key in ("name", "description", "quick")):
        raise UserError(f"{where}: 'name', 'description' and 'quick' must be strings")
    for key in ("name", "description", "quick"):
        problem = limits.field_problem(key, data.get(key, ""))
        if problem:
            raise UserError(f"{where}: {problem}")
    if not isinstance(data.get("capabilities", {}), dict):
        raise UserError(f"{where}: 'capabilities' must be a table: a [capabilities] line, then KEY = VALUE lines")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise UserError(f"{where}: [defaults] must be a table")
    _check_keys(defaults, set(SETTINGS) | {"batch", "model", *user_models.SUITE_KEYS}, f"{where} [defaults]")
    grids = data.get("grid")
    if not grids or not isinstance(grids, list):
        raise UserError(f"{where}: no [[grid]] tables: a suite needs at least one grid to run")
    if not all(isinstance(grid, dict) for grid in grids):
        raise UserError(f"{where}: each [[grid]] must be a table")
    problem = limits.spec_count_problem(sum(_combinations(grid) for grid in grids), max_specs)
    if problem:
        raise UserError(f"{where}: {problem}")
    specs: dict[str, Spec] = {}
    for number, grid in enumerate(grids, start=1):
        here = f"{where} grid #{number}"
        for spec in _expand_grid(grid, defaults, here, base or Path.cwd()):
            specs.setdefault(spec.spec_hash, spec)
    return list(specs.values())


def _expand_grid(grid: dict, defaults: dict, where: str, base: Path) -> list[Spec]:
    _check_keys(grid, set(AXES) | set(SETTINGS) | {"include", "exclude", *user_models.SUITE_KEYS}, where)
    models = grid.get("model", defaults.get("model", "mlp"))
    for name in models if isinstance(models, list) else [models]:
        if isinstance(name, str) and name not in MODELS and not user_models.is_user_model(name):  # before "missing depth"
            raise UserError(f"{where}: unknown model {name!r}; models are {', '.join(MODELS)}")
    for axis in REQUIRED_AXES:
        if axis not in grid and not _filled_by_kind(models, axis):
            raise UserError(f"{where}: missing '{axis}' (every grid names {', '.join(REQUIRED_AXES)})")
    axes = {axis: _as_list(grid[axis], axis, where) for axis in AXES if axis in grid}
    combos = [dict(zip(axes, values)) for values in itertools.product(*axes.values())]
    excludes = _entries(grid.get("exclude", []), "exclude", where)
    combos = [c for c in combos if not any(_matches(c, e) for e in excludes)]
    combos += _entries(grid.get("include", []), "include", where)
    if not combos:
        raise UserError(f"{where}: the grid is empty after 'exclude': remove an exclusion or add values")
    plain_defaults = {k: v for k, v in defaults.items() if k not in user_models.SUITE_KEYS}
    settings = {**_renamed(plain_defaults), **_renamed({k: grid[k] for k in SETTINGS if k in grid})}
    extras = {k: grid.get(k, defaults.get(k)) for k in user_models.SUITE_KEYS if k in grid or k in defaults}
    return [_make_spec({**settings, **combo}, where, extras, base) for combo in combos]


def _combinations(grid: dict) -> int:
    """How many specs a grid can make at most (its axes' product plus its includes), counted
    without making them."""
    count = 1
    for axis in AXES:
        value = grid.get(axis)
        count *= len(value) if isinstance(value, list) and value else 1
    include = grid.get("include", [])
    return count + (len(include) if isinstance(include, list) else 0)


def _make_spec(fields: dict, where: str, extras: dict | None = None, base: Path | None = None) -> Spec:
    user_models.refuse_extras(extras or {}, fields.get("model", "mlp"), where)
    if fields.get("threads") == ALL_CPUS:
        fields["threads"] = hostinfo.cpu_count()
    for name, value in fields.items():
        _check_type(name, value, where)
        if name in MINIMA and value < MINIMA[name]:
            raise UserError(f"{where}: {name} = {value} is too small: it must be at least {MINIMA[name]}")
        problem = limits.field_problem(name, value)
        if problem:
            raise UserError(f"{where}: {problem}")
    for axis in REQUIRED_AXES:
        if axis not in fields and _filled_by_kind(fields.get("model", "mlp"), axis):
            kind = kinds.get(fields["model"])
            fields[axis] = kind.fixed_depth if axis == "depth" else kind.default_width
        if axis not in fields:
            raise UserError(f"{where}: an 'include' entry lacks '{axis}'")
    fw_name, backend, task = fields["framework"], fields["backend"], fields["task"]
    runtime = fields.setdefault("runtime", "browser")
    registry = {"browser": frameworks.FRAMEWORKS, "native": native.RUNTIMES}.get(runtime)
    if registry is None:
        raise UserError(f"{where}: unknown runtime {shown(runtime)}; runtimes are browser, native")
    fw = registry.get(fw_name)
    if fw is None:
        raise UserError(f"{where}: unknown {runtime} framework {shown(fw_name)}; known: {', '.join(registry) or 'none'}")
    if backend not in fw.backends:
        raise UserError(f"{where}: {fw_name} has no backend {shown(backend)}; it has {', '.join(fw.backends)}")
    if task not in TASKS:
        raise UserError(f"{where}: unknown task {shown(task)}; tasks are {', '.join(TASKS)}")
    if task not in fw.backends[backend]:
        raise UserError(f"{where}: {fw_name}/{backend} cannot {task}; exclude that combination "
                        f"(it can: {', '.join(fw.backends[backend])})")
    if task in ("infer", "embed", "generate", "classify"):
        fields["batch"] = 1  # `batch` is the training batch; inference is single-sample (paper §4.3)
    if user_models.is_user_model(fields.get("model")):  # checked against its file; named by its id
        user_models.resolve(fields, extras or {}, where, base or Path.cwd())
    elif fields.get("model", "mlp") not in MODELS:
        raise UserError(f"{where}: unknown model {shown(fields['model'])}; models are {', '.join(MODELS)}, "
                        "or your own file: \"file:PATH\" (an ONNX file or a TF.js model.json)")
    kind = kinds.get(fields.get("model", "mlp"))
    if task not in kind.tasks:
        raise UserError(f"{where}: model {kind.name} cannot {task} (it can: {', '.join(kind.tasks)}); "
                        f"exclude that combination")
    problem = kind.problem(fields["depth"], fields["width"])
    if not problem and kind.name == "mlp":
        problem = limits.mlp_size_problem(fields["depth"], fields["width"])
    if problem:
        raise UserError(f"{where}: depth = {fields['depth']}, width = {fields['width']}: {problem}")
    return Spec.from_dict(fields)


def _renamed(table: dict) -> dict:
    """`page_loads` is what `replicates` was called before, a fixed count: a table's page_loads is
    its replicates, and its max_replicates unless it gives one (no auto-sampling beyond it)."""
    if "page_loads" not in table:
        return table
    table = dict(table)
    table.setdefault("replicates", table["page_loads"])
    table.setdefault("max_replicates", table["page_loads"])
    del table["page_loads"]
    return table


def _filled_by_kind(models, axis: str) -> bool:
    """Fixed architectures (keras:<Name>) have one depth and a default width: a grid may omit them."""
    if axis not in ("depth", "width"):
        return False
    names = models if isinstance(models, list) else [models]
    found = [(kinds.get(m) if user_models.is_user_model(m) else kinds.KINDS.get(m)) if isinstance(m, str) else None
             for m in names]
    return bool(found) and all(k is not None and (k.fixed_depth if axis == "depth" else k.default_width) is not None
                               for k in found)


def _check_type(name: str, value, where: str) -> None:
    if name == "threads" and value == ALL_CPUS:
        return
    expected = SETTINGS.get(name) or (str if name in ("runtime", "framework", "backend", "task", "model") else int)
    if (isinstance(value, bool) and expected is not bool) or not isinstance(value, expected):
        kind = {str: "a string", int: "a whole number", bool: "true or false"}.get(expected, "a number")
        kind += f' or "{ALL_CPUS}"' if name == "threads" else ""
        raise UserError(f"{where}: {name} = {shown(value)} must be {kind}")


def _as_list(value, axis: str, where: str) -> list:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise UserError(f"{where}: '{axis}' is an empty list: give at least one value")
    for v in values:
        _check_type(axis, v, where)
    return values


def _entries(value, key: str, where: str) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise UserError(f"{where}: '{key}' must be a list of tables, e.g. {key} = [{{backend = \"webgl\"}}]")
    for entry in value:
        _check_keys(entry, set(AXES), f"{where} {key}")
    return value


def _matches(combo: dict, entry: dict) -> bool:
    return all(combo.get(k) == v for k, v in entry.items())


def _check_keys(table: dict, allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise UserError(f"{where}: unknown key {shown(key)}; allowed: {', '.join(sorted(allowed))}")
