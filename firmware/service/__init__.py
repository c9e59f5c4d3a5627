"""The daemon (`parkvakt run`): supervised asyncio tasks, systemd notify/watchdog, journald logging.

``daemon.Daemon`` composes the pieces; ``supervisor`` restarts tasks that die, ``liveness`` decides
whether the watchdog may be petted, ``notify`` talks to systemd, ``logging`` sets up journald or
stderr, ``debug`` holds the test-only fault injection.
"""
