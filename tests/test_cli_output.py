"""What the commands print for a person: every line within an 80-column terminal (COLUMNS=80), human
tables by default and JSON that parses with --format json, one line per built-in suite, and no
abbreviated flag taken for another."""
import json

import pytest

from tests.conftest import run_cli
from webdlbench import frameworks, native
from webdlbench.cli import COMMANDS, build_parser, main
from webdlbench.commands import env as env_command
from webdlbench.grid import builtin_suites, load_suite

FINGERPRINT = {
    "browser_version": "156.0.8078.114", "cpu_count": 2, "wasm_simd": True,
    "browser_flags": ["--no-sandbox", "--disable-features=SpareRendererForSitePerProcess", "--enable-unsafe-webgpu"],
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 "
                  "Safari/537.36",
    "library_versions": {"tfjs": "4.22.0", "onnxruntime_web": "1.30.0"},
    "webgl_renderer": "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)",
    "webgpu_adapter": {"architecture": "swiftshader", "is_fallback": True, "vendor": "google"},
    "page_error": "",
}


@pytest.fixture
def columns_80(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def printed(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def fits(text: str, width: int = 80) -> bool:
    return all(len(line) <= width for line in text.splitlines())


def _subparsers(parser):
    return next(a for a in parser._actions if a.dest == "command").choices


def test_no_parser_accepts_an_abbreviated_flag(capsys):
    parser = build_parser()
    assert not parser.allow_abbrev and all(not p.allow_abbrev for p in _subparsers(parser).values())
    for argv, flag in ((["run", "quick", "--sample", "5"], "--sample"),
                       (["export", "--form", "csv", "--format", "csv"], "--form"),
                       (["compare", "--fail-if", "5"], "--fail-if")):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2 and f"unrecognized arguments: {flag}" in capsys.readouterr().err


def test_help_fits_80_columns_and_run_names_every_built_in_suite(columns_80, capsys):
    for name in ["", *COMMANDS]:
        with pytest.raises(SystemExit):
            main([name, "--help"] if name else ["--help"])
        text = capsys.readouterr().out
        assert text and fits(text), name
        if name == "run":
            words = text.replace(",", " ").replace("(", " ").replace(";", " ").split()
            assert all(suite in words for suite in builtin_suites())


def test_suites_lists_each_built_in_on_one_line(columns_80, capsys):
    out = printed(capsys, "suites")
    assert fits(out)
    lines = out.split("\n\n")[0].splitlines()  # the table, above the note on --quick
    assert len(lines) == 2 + len(builtin_suites())  # header, rule, one line each
    for name in builtin_suites():
        (line,) = [line for line in lines if line.split()[:1] == [name]]
        assert line.split()[1] == str(len(load_suite(name).specs))
    data = json.loads(printed(capsys, "suites", "--format", "json"))
    quick = next(s for s in data if s["name"] == "paper-gap-dnn")
    assert quick["quick_variant"] == "gap-quick" and quick["description"].startswith("Paper §5.2 DNN")


def test_frameworks_lists_browser_frameworks_and_native_runtimes_within_80_columns(columns_80, capsys):
    out = printed(capsys, "frameworks")
    assert fits(out)
    lines = out.splitlines()
    native_at = next(i for i, line in enumerate(lines) if line.startswith("Native runtimes"))
    for name in frameworks.FRAMEWORKS:
        assert any(line.startswith(f"{name} ") for line in lines[:native_at])
    for name in native.RUNTIMES:
        assert any(line.startswith(f"{name} ") for line in lines[native_at:])
    # Notes: one sentence each by default, in full with --notes.
    assert "momentum is 1e-12" not in out and "momentum is 1e-12" in " ".join(printed(capsys, "frameworks",
                                                                                      "--notes").split())
    data = json.loads(printed(capsys, "frameworks", "--format", "json"))
    assert {e["name"] for e in data["native"]} == set(native.RUNTIMES)
    assert data["browser"][0]["backends"] and "momentum" in next(e for e in data["browser"]
                                                                   if e["name"] == "brainjs")["notes"]


def test_env_renders_a_table_of_facts_within_80_columns_with_the_software_gpu_said():
    lines = env_command.render(FINGERPRINT, 80)
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("note: WebGL and WebGPU run on a software GPU (SwiftShader) here")
    assert any(line.split() == ["wasm_simd", "yes"] for line in lines)
    at = lines.index("library_versions")  # a nested fact is a heading over its own rows
    assert lines[at + 1].split() == ["onnxruntime_web", "1.30.0"] and lines[at + 2].split() == ["tfjs", "4.22.0"]
    flags = " ".join(" ".join(lines).split())
    assert "--disable-features=SpareRendererForSitePerProcess" in flags  # never broken inside a word


@pytest.mark.browser
def test_env_from_a_real_page_as_text_and_as_json():
    text = run_cli("env", env={"COLUMNS": "80"})
    assert text.returncode == 0, text.stderr
    assert fits(text.stdout) and any(line.startswith("browser_version ") for line in text.stdout.splitlines())
    as_json = run_cli("env", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["browser_version"]
