"""Install the pinned uv into the venv of the Python that runs this, without installing pip
there first (``make install``: ``python -m venv --without-pip``, then this).

pip runs straight from the wheel that the standard library's ensurepip bundles (pip supports
``python pip-*.whl/pip``), which saves installing pip into the venv only to install uv with it:
~2.5 s of a fresh ``make run`` (docs/BENCHMARKS.md, eighth round). A Python whose ensurepip
bundles no wheel (Debian's keeps them apart) gets pip the usual way first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

UV = "uv==0.13.8"
PIP_OPTIONS = ("--quiet", "--disable-pip-version-check")


def bundled_pip() -> Path | None:
    try:
        import ensurepip
    except ImportError:
        return None
    wheels = sorted(Path(ensurepip.__file__).parent.glob("_bundled/pip-*.whl"))
    return wheels[-1] if wheels else None


def main() -> int:
    wheel = bundled_pip()
    if wheel is not None:
        pip = [sys.executable, str(wheel / "pip")]
    else:
        # Debian's message says which package brings ensurepip when it is missing.
        subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True)
        pip = [sys.executable, "-m", "pip"]
    return subprocess.run([*pip, "install", *PIP_OPTIONS, UV], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
