"""A poller's background thread, as Lambda's event-source pollers run: started and stopped with the stack."""

from __future__ import annotations

import threading


class BackgroundPoller:
    """Runs :meth:`_run` in a daemon thread until :meth:`stop`; subclasses poll while ``_stop`` is not set."""

    enabled: bool = True

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        raise NotImplementedError

    def start(self) -> None:
        if not self.enabled or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"poller-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop polling; wait up to ``timeout`` seconds (default: a poll and a batch) for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.wait_seconds + 5 if timeout is None else max(0.0, timeout))
            if not self._thread.is_alive():
                self._thread = None

    def _run(self) -> None:
        raise NotImplementedError
