"""The Docker image installs the project as a wheel (`pip install .`), not from the source tree:
every template, translation, static file and example must be in that wheel."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["config", "contacts", "alerts", "reunify", "privacy", "benchmarks"]
IGNORED = [".git", ".venv", "build", "var", "test-output", "*.egg-info", "__pycache__", ".*cache"]


def _data_files() -> set[str]:
    files = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            relative = path.relative_to(ROOT)
            if (
                path.is_file()
                and path.suffix not in {".py", ".pyc"}
                and "__pycache__" not in str(relative)
            ):
                files.add(relative.as_posix())
    return files


def test_the_wheel_carries_every_template_translation_and_static_file(tmp_path):
    # Built from a clean copy: a build/ folder left in the checkout would hide a missing file.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*IGNORED))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), source],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("*.whl")
    packed = set(zipfile.ZipFile(wheel).namelist())
    expected = _data_files()
    assert any(name.endswith("household.html") for name in expected)
    assert expected - packed == set()
