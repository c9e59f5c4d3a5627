"""Launchers that apply the unit file's sandbox rules to a real process, outside systemd.

systemd is not PID 1 here, so the tests apply the same kernel mechanisms themselves and then
``exec`` the real program:

* ``MDWE``: ``prctl(PR_SET_MDWE)``, the W^X rule behind ``MemoryDenyWriteExecute=yes``
  (Linux ≥ 6.3);
* ``SECCOMP``: a libseccomp filter built from the unit's ``SystemCallFilter=`` lines, with the
  groups expanded by the real ``systemd-analyze syscall-filter`` and ``SystemCallErrorNumber=EPERM``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "provisioning" / "systemd" / "parkvakt.service"

MDWE = """
import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
    sys.exit(99)
os.execv(sys.argv[1], sys.argv[1:])
"""

SECCOMP = """
import errno, os, subprocess, sys
import pyseccomp

def expand(group, seen):
    out = subprocess.run(["systemd-analyze", "syscall-filter", group], capture_output=True, text=True, check=True)
    names = set()
    for line in out.stdout.splitlines()[1:]:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            if line not in seen:
                seen.add(line)
                names |= expand(line, seen)
        else:
            names.add(line)
    return names

allowed, denied = sys.argv[1].split(), sys.argv[2].split()
names = set()
for group in allowed:
    names |= expand(group, set()) if group.startswith("@") else {group}
for group in denied:
    names -= expand(group, set()) if group.startswith("@") else {group}
flt = pyseccomp.SyscallFilter(pyseccomp.ERRNO(errno.EPERM))
for name in sorted(names):
    try:
        flt.add_rule(pyseccomp.ALLOW, name)
    except Exception:  # a name this kernel or libseccomp does not know
        pass
flt.load()
os.execv(sys.argv[3], sys.argv[3:])
"""


def unit_syscall_filter() -> tuple[str, str]:
    """(allowed groups, denied groups) from the shipped unit's ``SystemCallFilter=`` lines."""
    lines = re.findall(r"^SystemCallFilter=(.*)$", UNIT.read_text(), flags=re.MULTILINE)
    allowed = " ".join(v for v in lines if not v.startswith("~"))
    denied = " ".join(v[1:] for v in lines if v.startswith("~"))
    return allowed, denied


def under_mdwe(argv: list[str]) -> list[str]:
    return [sys.executable, "-c", MDWE, *argv]


def under_seccomp(argv: list[str]) -> list[str]:
    allowed, denied = unit_syscall_filter()
    return [sys.executable, "-c", SECCOMP, allowed, denied, *argv]


def mdwe_supported() -> bool:
    probe = "import ctypes,sys; sys.exit(0 if ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) == 0 else 1)"
    return subprocess.run([sys.executable, "-c", probe], timeout=30).returncode == 0


def seccomp_supported() -> bool:
    probe = "import pyseccomp; pyseccomp.SyscallFilter(pyseccomp.ALLOW)"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=30).returncode == 0
