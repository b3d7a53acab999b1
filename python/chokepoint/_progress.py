"""The progress bar of long calls (tqdm): on by default, off with ``progress=False`` or
``chokepoint.options.progress = False``."""

from __future__ import annotations

from typing import Callable, Optional


class _Options:
    """Package-wide defaults."""

    progress: bool = True
    """Show a progress bar on long calls (Monte Carlo)."""


options = _Options()


def _tqdm():
    try:
        import ipywidgets  # noqa: F401  (tqdm.auto needs it for a notebook widget)
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm


class Bar:
    """A context manager whose ``update(done, total)`` drives a tqdm bar, or nothing."""

    def __init__(self, desc: str, unit: str, enabled: Optional[bool]) -> None:
        self.enabled = options.progress if enabled is None else bool(enabled)
        self.desc, self.unit, self.bar = desc, unit, None

    def __enter__(self) -> Optional[Callable[[int, int], None]]:
        if not self.enabled:
            return None
        self.bar = _tqdm()(total=None, desc=self.desc, unit=self.unit, leave=False)
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            return
        if total and self.bar.total != total:
            self.bar.total = total
        if done > self.bar.n:
            self.bar.update(done - self.bar.n)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
