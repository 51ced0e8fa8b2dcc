"""`python -m webdlbench.frameworks` (run by `make setup`): build the bundles of the frameworks
that are not on npm, each from its source, only when its inputs changed. A framework whose source
is missing or whose build fails is left unavailable with that reason; setup goes on."""
from __future__ import annotations

from webdlbench import frameworks


def main() -> int:
    for fw in frameworks.FRAMEWORKS.values():
        if fw.local_build is not None:
            print(fw.local_build.build(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
