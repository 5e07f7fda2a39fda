"""Progress on stderr: a live line per table on a terminal (rows, percent,
rows per second), one summary line per table otherwise, and step timings."""
import sys
import time


class Progress:
    def __init__(self, stream=None, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = enabled and self.stream.isatty()
        self.timings: dict[str, float] = {}

    def say(self, message: str) -> None:
        if self.enabled:
            print(message, file=self.stream, flush=True)

    def table(self, name: str, total: int | None) -> "TableProgress":
        return TableProgress(self, name, total)

    def step(self, name: str) -> "Step":
        """Time a step (`with progress.step("indexes"):`); timings add up by name."""
        return Step(self, name)


class TableProgress:
    def __init__(self, progress: Progress, name: str, total: int | None):
        self.progress, self.name, self.total = progress, name, total
        self.rows = 0
        self.started = self.shown = time.perf_counter()

    def add(self, rows: int) -> None:
        self.rows += rows
        now = time.perf_counter()
        if self.progress.live and now - self.shown >= 0.2:
            self.shown = now
            print("\r" + self._line(now), end="", file=self.progress.stream, flush=True)

    def done(self) -> float:
        now = time.perf_counter()
        if self.progress.enabled:
            start = "\r" if self.progress.live else ""
            print(start + self._line(now), file=self.progress.stream, flush=True)
        return now - self.started

    def _line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        share = f" {100 * self.rows / self.total:5.1f}%" if self.total else ""
        return (f"  {self.name:<20} {self.rows:>12,} rows{share} {self.rows / elapsed:>12,.0f} rows/s"
                f" {elapsed:7.1f} s")


class Step:
    def __init__(self, progress: Progress, name: str):
        self.progress, self.name = progress, name

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        elapsed = time.perf_counter() - self.started
        self.progress.timings[self.name] = self.progress.timings.get(self.name, 0.0) + elapsed
