"""Puts the dbt project into the wheel, so an installed cxbench builds without the repository.

The project (dbt_project.yml, profiles.yml, models, macros, seeds, the generic and singular
tests, the Great Expectations suites) lives at the repository's root, where dbt and its users
expect it. Building the wheel copies it into ``cxbench/dbt_project/``; ``cxbench.settings``
uses that copy when the package does not sit in a checkout. Metadata is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = "dbt_project"  # cxbench.settings.BUNDLED_PROJECT
PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_FOLDERS = ("models", "macros", "seeds", "tests/generic", "tests/singular", "expectations")
SUFFIXES = frozenset({".sql", ".yml", ".yaml", ".csv", ".json", ".md"})


class BuildPyWithProject(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "cxbench" / BUNDLED
        if target.exists():
            shutil.rmtree(target)
        for name in PROJECT_FILES:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
        for folder in PROJECT_FOLDERS:
            for path in sorted((ROOT / folder).rglob("*")):
                if path.is_file() and path.suffix in SUFFIXES:
                    copy = target / path.relative_to(ROOT)
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, copy)


setup(cmdclass={"build_py": BuildPyWithProject})
