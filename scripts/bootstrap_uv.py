"""Print the path of a usable `uv`, installing it through pip first when there is none.

`make demo` needs nothing but Python 3.11 and the package registry, so uv itself comes from
PyPI. Tried in order: uv on PATH; uv installed by an earlier run of this script; a private
virtualenv under var/bootstrap with uv in it; `pip install --user uv` (which a Debian Python
refuses as "externally managed", hence the virtualenv first). Prints the absolute path on
stdout; everything else goes to stderr.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOTSTRAP = ROOT / "var" / "bootstrap"


def _works(uv: Path | str | None) -> bool:
    if not uv:
        return False
    try:
        subprocess.run([str(uv), "--version"], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def _say(msg: str) -> None:
    print(f"bootstrap-uv: {msg}", file=sys.stderr)


def _venv_uv() -> Path | None:
    uv = BOOTSTRAP / "bin" / "uv"
    if _works(uv):
        return uv
    _say(f"installing uv into {BOOTSTRAP} with pip")
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(BOOTSTRAP)], check=True)
        subprocess.run([str(BOOTSTRAP / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "uv"], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        _say(f"a virtualenv with pip is not available here ({exc})")
        return None
    return uv if _works(uv) else None


def _user_uv() -> Path | None:
    scheme = f"{os.name}_user"
    uv = Path(sysconfig.get_path("scripts", scheme)) / "uv"
    if _works(uv):
        return uv
    _say("installing uv with `pip install --user`")
    cmd = [sys.executable, "-m", "pip", "install", "--user", "--quiet",
           "--disable-pip-version-check", "uv"]
    try:
        subprocess.run(cmd, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return uv if _works(uv) else None


def main() -> int:
    found = shutil.which("uv")
    if found and _works(found):
        print(found)
        return 0
    for way in (_venv_uv, _user_uv):
        uv = way()
        if uv is not None:
            print(uv)
            return 0
    _say("could not install uv; install it with `python3 -m pip install uv` and run again")
    return 1


if __name__ == "__main__":
    sys.exit(main())
