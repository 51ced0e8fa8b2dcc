"""`webdlbench suites`: the built-in suites, one line each (name, spec count, description)."""
from __future__ import annotations

HELP = "list the built-in suites: name, how many specs, what each measures"


def add_arguments(parser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text: one line per suite (default); json: with the full description and file")


def run(args) -> int:
    from webdlbench.grid import builtin_suites, load_suite
    from webdlbench.textout import Column, one_line, print_json, print_lines, table_lines, terminal_width, wrap

    suites = [load_suite(name) for name in builtin_suites()]
    quick = {name: load_suite(name, quick=True).name for name in builtin_suites() if _has_quick(name)}
    if args.format == "json":
        print_json([{"name": s.name, "specs": len(s.specs), "description": s.description, "file": s.source,
                     "quick_variant": quick.get(s.name)} for s in suites])
        return 0
    width = terminal_width()
    # One line per suite: the description is cut to what the terminal leaves (JSON has it whole).
    room = width - max(len(s.name) for s in suites) - len("specs") - 2 * 2
    rows = [[s.name, str(len(s.specs)), one_line(s.description, room)] for s in suites]
    lines = table_lines([Column("suite"), Column("specs", ">"), Column("description")], rows, width)
    variants = ", ".join(f"{k} -> {v}" for k, v in quick.items())
    lines += [""] + wrap("Run one with `webdlbench run NAME`; `--quick` runs a suite's CI-sized variant "
                         f"({variants}).", width)
    print_lines(lines)
    return 0


def _has_quick(name: str) -> bool:
    import tomllib

    from webdlbench.paths import SUITES_DIR

    return bool(tomllib.loads((SUITES_DIR / f"{name}.toml").read_text()).get("quick"))
