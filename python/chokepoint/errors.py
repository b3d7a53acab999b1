"""Exceptions of chokepoint.

Every error of the Rust library arrives as one of these. A scenario's problems come
all at once, each as a :class:`Diagnostic` with its file, line and hint; ``str(e)`` is
the text the CLI prints. All of them pickle, so a worker process of
:mod:`multiprocessing` or :mod:`concurrent.futures` hands the real error back.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple, Optional

__all__ = [
    "Diagnostic",
    "ChokepointError",
    "ScenarioError",
    "ParameterError",
    "InvalidArgumentError",
    "SimulationError",
    "OutputError",
    "FolderInUseError",
    "FileFormatError",
    "CancelledError",
    "EnginePanicError",
    "ScenarioWarning",
]


class Diagnostic(NamedTuple):
    """One problem in a scenario file: where, what, and what would be right."""

    severity: str
    """``"error"`` or ``"warning"``."""
    kind: str
    """What kind of problem (``UnknownReference``, ``BadNumber``, ...)."""
    file: str
    """The file."""
    line: int
    """1-based line; 0 when unknown (a scenario changed in memory)."""
    message: str
    """What is wrong, naming the key or id at fault."""
    hint: Optional[str]
    """What would be right, if there is something to say."""

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.severity}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text


class ChokepointError(Exception):
    """Any error of chokepoint: ``message`` and the ``diagnostics`` behind it."""

    def __init__(self, message: str, diagnostics: Iterable = ()) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = [d if isinstance(d, Diagnostic) else Diagnostic(*d) for d in diagnostics]

    def __reduce__(self):
        return (type(self), (self.message, [tuple(d) for d in self.diagnostics]))

    def __str__(self) -> str:
        return self.message

    @property
    def errors(self) -> list:
        """The diagnostics that are errors."""
        return [d for d in self.diagnostics if d.severity == "error"]

    def _first(self, field: str):
        first = (self.errors or self.diagnostics or [None])[0]
        return None if first is None else getattr(first, field)

    @property
    def file(self) -> Optional[str]:
        """The file of the first error, if the error has diagnostics."""
        return self._first("file")

    @property
    def line(self) -> Optional[int]:
        """The 1-based line of the first error (0 when unknown)."""
        return self._first("line")

    @property
    def hint(self) -> Optional[str]:
        """What would be right, for the first error."""
        return self._first("hint")


class ScenarioError(ChokepointError, ValueError):
    """A scenario or option file (or a changed scenario) has problems: all are listed."""


class ParameterError(ChokepointError, KeyError):
    """An unknown parameter name in ``Scenario.with_changes`` (with a suggestion)."""


class InvalidArgumentError(ChokepointError, ValueError):
    """A bad argument: a closure spec, a date, a value out of range."""


class SimulationError(ChokepointError, RuntimeError):
    """The simulation failed."""


class OutputError(ChokepointError):
    """Reading or writing a file failed."""


class FolderInUseError(OutputError):
    """The output folder holds another study's files: choose another or pass force=True."""


class FileFormatError(OutputError, ValueError):
    """A CSV or JSON file of chokepoint's that cannot be read: the message names the
    file, the line and the column."""


class CancelledError(ChokepointError):
    """A study was stopped between runs (Ctrl-C, or an error in the progress callback)."""


class EnginePanicError(SimulationError):
    """The engine panicked in a run (a bug): the message names the run, its seed and
    its closures, so it can be replayed and reported."""


class ScenarioWarning(UserWarning):
    """A scenario loads, but something in it is worth a look (with file and line)."""
