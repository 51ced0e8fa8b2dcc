"""`webdlbench frameworks`: each framework, its backends and tasks, and whether it is available here."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from webdlbench import frameworks

HELP = "list the frameworks, their backends and tasks, and whether each is available here"


def add_arguments(parser) -> None:
    pass


def run(args) -> int:
    table = Table(title="Frameworks", show_lines=True)
    for column in ("framework", "version", "backends: tasks", "available", "model format / notes"):
        table.add_column(column)
    for fw in frameworks.FRAMEWORKS.values():
        available, reason = fw.availability()
        backends = "\n".join(f"{b}: {', '.join(t)}" for b, t in fw.backends.items())
        table.add_row(f"{fw.title}\n({fw.name})", fw.version() or "-", backends,
                      "yes" if available else f"no: {reason}", f"{fw.model_format}\n{fw.notes}".strip())
    Console(width=140).print(table)
    return 0
