"""`webdlbench merge SOURCE... --store DEST`: copy the runs of other stores into one."""
from __future__ import annotations

from pathlib import Path

from webdlbench.paths import DEFAULT_STORE

HELP = "copy the runs of other stores (other machines, a GPU box) into one store, for one report"


def add_arguments(parser) -> None:
    parser.add_argument("sources", nargs="+", metavar="SOURCE", help="stores to copy runs from")
    parser.add_argument("--store", default=str(DEFAULT_STORE), help=f"the store to merge into (default {DEFAULT_STORE})")


def run(args) -> int:
    from webdlbench.merge import merge_store
    from webdlbench.store import Store, exclusive_writer

    store_path = Path(args.store)
    for source in args.sources:  # every source is checked before the destination is touched
        Store.open(source, create=False).close()
    with exclusive_writer(store_path), Store.open(store_path) as store:
        for source in args.sources:
            counts = merge_store(store, Path(source))
            print(f"{source}: {counts['runs']} run(s), {counts['results']} result(s), {counts['samples']} sample(s), "
                  f"{counts['surveys']} survey(s) copied into {store_path}")
    return 0
