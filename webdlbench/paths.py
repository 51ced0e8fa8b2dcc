"""Where things are: the package's own files and the project's node_modules."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
WEB_DIR = PACKAGE_DIR / "web"
SUITES_DIR = PACKAGE_DIR / "suites"
# The JS frameworks are installed by `npm ci` at the project root (package-lock.json); an
# installed package elsewhere can point at its own copy with WEBDLBENCH_NODE_MODULES.
NODE_MODULES = Path(os.environ.get("WEBDLBENCH_NODE_MODULES", PACKAGE_DIR.parent / "node_modules"))
# Bundles built at setup from source that is not on npm (Mind), one folder per framework; generated,
# never committed (WEBDLBENCH_BUILD_DIR moves it, as WEBDLBENCH_NODE_MODULES moves node_modules).
BUILD_DIR = Path(os.environ.get("WEBDLBENCH_BUILD_DIR", PACKAGE_DIR.parent / "build"))
DEFAULT_STORE = Path("results") / "webdlbench.sqlite"
DEFAULT_REPORT_DIR = Path("results") / "report"
