"""`webdlbench frameworks`: the browser frameworks and the native runtimes, their backends and tasks,
and whether each is available here."""
from __future__ import annotations

import re

HELP = "list the browser frameworks and native runtimes, their backends and tasks, and whether each is available here"


def add_arguments(parser) -> None:
    parser.add_argument("--notes", action="store_true",
                        help="print each one's notes in full (default: their first sentence)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text: tables (default); json: every field, notes in full")


def run(args) -> int:
    from webdlbench.textout import print_json, print_lines, terminal_width

    entries = {"browser": [_entry(fw) for fw in _browser()], "native": [_entry(rt) for rt in _native()]}
    if args.format == "json":
        print_json(entries)
    else:
        print_lines(render(entries, terminal_width(), full_notes=args.notes))
    return 0


def _browser():
    from webdlbench import frameworks

    return frameworks.FRAMEWORKS.values()


def _native():
    from webdlbench import native

    return native.RUNTIMES.values()


def _entry(item) -> dict:
    """One framework or runtime as data (both kinds declare name, title, backends, notes, version)."""
    available, reason = item.availability()
    return {"name": item.name, "title": item.title, "version": item.version(), "available": available,
            "reason": reason, "backends": {b: list(t) for b, t in item.backends.items()},
            "model_format": item.model_format, "notes": item.notes}


def render(entries: dict, width: int, full_notes: bool = False) -> list[str]:
    """Two tables (browser, native) within the width, then each one's notes."""
    from webdlbench.textout import Column, table_lines, wrap

    columns = [Column("name"), Column("title", wrap=True, min_width=10), Column("version"),
               Column("backends (tasks)", wrap=True, min_width=14), Column("available", wrap=True, min_width=10)]
    lines = []
    for runtime, heading in (("browser", 'Browser frameworks (runtime = "browser" in a suite)'),
                             ("native", 'Native runtimes (runtime = "native" in a suite)')):
        rows = [[e["name"], e["title"], e["version"] or "-", backends_text(e["backends"]),
                 "yes" if e["available"] else f"no: {e['reason']}"] for e in entries[runtime]]
        lines += [*wrap(heading, width), *table_lines(columns, rows, width), ""]
    lines.append("Notes" + ("" if full_notes else " (first sentence; --notes for all)") + ":")
    for entry in [*entries["browser"], *entries["native"]]:
        if entry["notes"]:
            text = entry["notes"] if full_notes else first_sentence(entry["notes"])
            lines += wrap(f"  {entry['name']}: {text}", width, "    ")
    return lines


def backends_text(backends: dict[str, list[str]]) -> str:
    """'cpu wasm webgl (train, infer)' when every backend does the same tasks, else per backend."""
    task_sets = {tuple(t) for t in backends.values()}
    if len(task_sets) == 1:
        return f"{' '.join(backends)} ({', '.join(next(iter(task_sets)))})"
    return "; ".join(f"{b} ({', '.join(t)})" for b, t in backends.items())


def first_sentence(text: str) -> str:
    """Up to the first full stop that ends a sentence (not the one of 'i.e.'), or the whole text."""
    parts = re.split(r"(?<=\.)(?<!i\.e\.)(?<!e\.g\.)\s+", " ".join(text.split()), maxsplit=1)
    return parts[0]
