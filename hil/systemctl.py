"""The emulated rig's ``systemctl restart parkvakt``: asks the rig to restart the unit's service.

The update agent's ``restart_command`` on the rig is ``python hil/systemctl.py SOCKET restart``;
the rig (``hil/service_manager.py``) stops the daemon and starts ``current``'s, then answers.
Only the standard library, so any Python runs it (the agent runs it from a release's virtualenv).
"""

from __future__ import annotations

import socket
import sys


def main() -> int:
    path, verb = sys.argv[1], sys.argv[2]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(60)
        sock.connect(path)
        sock.sendall(verb.encode() + b"\n")
        answer = sock.makefile().readline().strip()
    if answer != "ok":
        print(f"systemctl {verb} parkvakt: {answer or 'no answer'}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
