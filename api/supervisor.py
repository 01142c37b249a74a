"""Keeps the embedded worker process alive: ``serve`` starts it, and restarts it when it dies.

Without this, a worker killed by the OOM killer or a crash in native code left every later job
queued for good. A worker that dies right after starting (say the database is unreachable) is
restarted after a delay that doubles each time, so it does not spin; a worker that ran for a
while before it died is restarted after the shortest delay again.
"""
from __future__ import annotations

import logging
import subprocess
import threading
import time

log = logging.getLogger("vertrekplanner.supervisor")


class Supervisor:
    """Runs ``command`` as a child process and restarts it whenever it exits until ``stop()``."""

    def __init__(self, command: list[str], env: dict | None = None, *, min_delay: float = 1.0,
                 max_delay: float = 60.0, healthy_after: float = 30.0, stop_timeout: float = 30.0):
        self.command, self.env = command, env
        self.min_delay, self.max_delay, self.healthy_after = min_delay, max_delay, healthy_after
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # spawning and stopping never interleave
        self._thread = threading.Thread(target=self._watch, daemon=True, name="worker-supervisor")

    def start(self) -> "Supervisor":
        self._spawn()
        self._thread.start()
        return self

    def _spawn(self) -> bool:
        with self._lock:
            if self._stopping.is_set():
                return False
            # Its own session: Ctrl-C on the terminal reaches only ``serve``, whose stop() then ends
            # the worker; a worker that saw the Ctrl-C itself could exit first and be restarted.
            self.process = subprocess.Popen(self.command, env=self.env, start_new_session=True)
            self.started = time.monotonic()
            return True

    def _watch(self) -> None:
        delay = self.min_delay
        while True:
            code = self.process.wait()
            if self._stopping.is_set():
                return
            ran = time.monotonic() - self.started
            delay = self.min_delay if ran >= self.healthy_after else delay
            log.warning("rekenproces (pid %s) onverwacht gestopt (code %s) na %.1f s; herstart over %.1f s",
                        self.process.pid, code, ran, delay)
            if self._stopping.wait(delay) or not self._spawn():
                return
            self.restarts += 1
            log.warning("rekenproces herstart (pid %s)", self.process.pid)
            delay = min(delay * 2, self.max_delay)

    def stop(self) -> None:
        """Ends the worker (SIGTERM: it stores the plan of a job in hand), killing it if it hangs."""
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._thread.is_alive():
            self._thread.join(5)
