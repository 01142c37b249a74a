"""The `vertrekplanner` command lists every command, and the installed package carries its data."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from api.cli import SERVICE_COMMANDS, main

ROOT = Path(__file__).resolve().parent.parent
PLANNER_COMMANDS = ("plan", "demo", "pdf", "check", "validate", "generate", "template")
# Folders whose every file must be in the wheel: templates, the web app's static files, fonts.
DATA = ("templates/documents", "templates/pages", "api/static", "planner/fonts")


@pytest.mark.parametrize("argv, code", [(["--help"], 0), ([], 2)])
def test_help_lists_every_command(capsys, argv, code):
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    assert rc == code
    out = capsys.readouterr().out
    for command in PLANNER_COMMANDS + tuple(SERVICE_COMMANDS):
        line = next((ln for ln in out.splitlines() if ln.split()[:1] == [command]), None)
        assert line is not None and len(line.split()) > 1, f"{command} not listed with a description"


def test_unknown_command_names_the_service_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["nonsense"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert all(f"'{c}'" in err for c in SERVICE_COMMANDS)


def test_planner_does_not_import_the_web_app():
    code = ("import sys, planner.cli, planner.outputs; "
            "print(sorted(m for m in sys.modules if m == 'api' or m.startswith(('api.', 'fastapi'))))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_templates_are_found_as_package_resources():
    from api.web.render import templates
    from planner.outputs import _env

    assert _env().get_template("itinerary.html") and templates.get_template("base.html")


def test_wheel_carries_templates_static_files_and_fonts(tmp_path):
    """Builds a wheel from a copy of the sources (pip fetches setuptools into an isolated build
    environment) and finds every data file in it; no 'absent from the packages' warning."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(ROOT / "pyproject.toml", src)
    for top in ("planner", "api", "templates"):
        shutil.copytree(ROOT / top, src / top, ignore=shutil.ignore_patterns("__pycache__"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(tmp_path / "dist"),
                            "-v", "--disable-pip-version-check"], capture_output=True, text=True)
    if build.returncode != 0 and "setuptools" in build.stdout + build.stderr and "pypi" in (build.stdout + build.stderr).lower():
        pytest.skip("no package index to fetch setuptools from")
    assert build.returncode == 0, build.stderr[-2000:]
    assert "absent from the packages configuration" not in build.stdout + build.stderr
    (wheel,) = (tmp_path / "dist").glob("vertrekplanner-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {p.relative_to(ROOT).as_posix() for d in DATA for p in (ROOT / d).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
    assert expected and expected <= names, sorted(expected - names)
    assert "templates/__init__.py" in names
