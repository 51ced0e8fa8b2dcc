"""A framework is one folder (frameworks/<name>/): the registry finds it there, the results server
serves its adapter from it, the survey runs its Node.js probe from it; a folder named unlike its
framework is refused with the fix."""
import asyncio
import shutil
import sys

import aiohttp
import pytest

from webdlbench import frameworks
from webdlbench.commands import survey
from webdlbench.frameworks import FRAMEWORKS_DIR
from webdlbench.server import ResultsServer

NEW_FRAMEWORK = '''
from webdlbench.frameworks import Framework

FRAMEWORK = Framework(name="{name}", title="A new one", npm_package="none", backends={{"cpu": ("infer",)}},
                      scripts={{"cpu": ()}})
'''


def test_every_framework_lives_in_its_own_folder():
    for name, fw in frameworks.FRAMEWORKS.items():
        assert fw.folder == FRAMEWORKS_DIR / name and (fw.folder / "__init__.py").is_file()
        assert fw.adapter_file() == fw.folder / "adapter.js"
        assert f"window.webdlbench.adapters.{name} = {{" in fw.adapter_file().read_text(), name
        assert fw.node_probe_file() in (None, fw.folder / "node-probe.js")  # optional, and only there
    assert not (FRAMEWORKS_DIR.parent / "web" / "adapters").exists()


@pytest.fixture
def extra_folder(tmp_path, monkeypatch):
    """A second folder of framework packages, searched like frameworks/ itself."""
    monkeypatch.setattr(frameworks, "__path__", [*frameworks.__path__, str(tmp_path)])
    before = set(sys.modules)
    yield tmp_path
    for module in set(sys.modules) - before:
        sys.modules.pop(module)


def test_a_new_framework_is_one_folder(extra_folder, monkeypatch):
    folder = extra_folder / "newfw"
    folder.mkdir()
    (folder / "__init__.py").write_text(NEW_FRAMEWORK.format(name="newfw"))
    (folder / "adapter.js").write_text("window.webdlbench.adapters.newfw = {};\n")
    (folder / "node-probe.js").write_text("console.log('ok', 'from the new folder');\n")
    found = frameworks._discover()
    fw = found["newfw"]
    assert set(found) == set(frameworks.FRAMEWORKS) | {"newfw"}
    assert fw.folder == folder and fw.adapter_file() == folder / "adapter.js"
    monkeypatch.setattr(frameworks, "FRAMEWORKS", found)

    async def fetch(path):
        server = ResultsServer(extra_folder)
        await server.start()
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(server.base_url + path) as response:
                    return response.status, await response.text()
        finally:
            await server.stop()

    assert asyncio.run(fetch(fw.adapter_url())) == (200, "window.webdlbench.adapters.newfw = {};\n")
    assert asyncio.run(fetch("/adapters/tfjs.js"))[1] == (FRAMEWORKS_DIR / "tfjs" / "adapter.js").read_text()
    assert asyncio.run(fetch("/adapters/nosuch.js"))[0] == 404
    if shutil.which("node"):
        assert survey.node_probe(fw, available=True)["detail"].endswith("from the new folder")


def test_a_folder_named_unlike_its_framework_is_refused(extra_folder):
    folder = extra_folder / "wrongname"
    folder.mkdir()
    (folder / "__init__.py").write_text(NEW_FRAMEWORK.format(name="other"))
    with pytest.raises(ImportError, match="frameworks/wrongname/ declares the framework 'other': rename the folder"):
        frameworks._discover()
