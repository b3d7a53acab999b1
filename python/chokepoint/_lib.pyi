"""Type stubs of the Rust extension ``chokepoint._lib`` (use the package's Python API)."""

from typing import Callable, Optional

_Diag = tuple[str, str, str, int, str, Optional[str]]

TABLES: list[str]
# The studies' defaults (the library's request types'; the CLI's flags show the same).
DEFAULT_RUNS: int
DEFAULT_SEED: int
DEFAULT_BATCH_SIZE: int
DEFAULT_COMPARE_BOOTSTRAP: int
DEFAULT_CRITICALITY_BOOTSTRAP: int
DEFAULT_CRITICALITY_CAPACITY_FACTOR: float
DEFAULT_UNCERTAINTY_POINTS: int
DEFAULT_UNCERTAINTY_YEARS: int
DEFAULT_UNCERTAINTY_BASE_POINTS: int
DEFAULT_UNCERTAINTY_BOOTSTRAP: int
DEFAULT_UNCERTAINTY_DESIGN: str
DEFAULT_UNCERTAINTY_GROUPS: str

class Scenario:
    @staticmethod
    def load(path: str) -> tuple[Scenario, list[_Diag]]: ...
    @staticmethod
    def from_json(text: str) -> Scenario: ...
    def to_json(self) -> str: ...
    def with_changes(self, changes: list[tuple[str, float]]) -> Scenario: ...
    def parameters(self) -> list[tuple[str, float, str, str]]: ...
    def table(self, name: str) -> dict[str, list]: ...
    def html(self) -> str: ...
    def closures_csv(self, path: str) -> list[str]: ...
    def closure_spec(
        self, corridor: str, start: str, days: Optional[str] = None, end: Optional[str] = None, factor: Optional[str] = None
    ) -> str: ...
    @property
    def changes(self) -> list[tuple[str, float]]: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def start(self) -> str: ...
    @property
    def days(self) -> int: ...
    @property
    def source(self) -> Optional[str]: ...
    @property
    def checksum(self) -> str: ...
    @property
    def option(self) -> Optional[dict]: ...

def run(
    scenario: Scenario,
    closures: list[str],
    fixed_closures: bool = True,
    start: Optional[str] = None,
    days: Optional[int] = None,
) -> tuple[dict[str, bytes], str, list[str]]: ...
def montecarlo(
    scenario: Scenario,
    runs: int,
    seed: int,
    threads: int,
    closures: list[str],
    fixed_closures: bool = True,
    start: Optional[str] = None,
    days: Optional[int] = None,
    target_rel_error: Optional[float] = None,
    batch_size: int = ...,
    fixed_draws: bool = False,
    progress: Optional[Callable[[int, int], None]] = None,
    controls: bool = True,
    control_draws: Optional[int] = None,
) -> tuple[dict[str, bytes], list[str]]: ...
def compare(
    base: Scenario,
    options: list[Scenario],
    runs: int,
    seed: int,
    threads: int,
    closures: list[str],
    fixed_closures: bool = True,
    start: Optional[str] = None,
    days: Optional[int] = None,
    futures: Optional[str] = None,
    threshold_usd: Optional[float] = None,
    bootstrap: int = ...,
    regime_start: Optional[str] = None,
    progress: Optional[Callable[[int, int], None]] = None,
    controls: bool = True,
    control_draws: Optional[int] = None,
) -> tuple[dict[str, bytes], list[str]]: ...
def uncertainty(
    base: Scenario,
    options: list[Scenario],
    points: int,
    years: int,
    seed: int,
    threads: int,
    indices: bool = False,
    base_points: int = ...,
    groups: str = ...,
    bootstrap: int = ...,
    fixed_closures: bool = True,
    design: str = ...,
    progress: Optional[Callable[[int, int], None]] = None,
) -> dict[str, bytes]: ...
def criticality(
    scenario: Scenario,
    duration_days: int,
    threads: int,
    sets: Optional[str] = None,
    start: Optional[str] = None,
    capacity_factor: float = ...,
    runs: Optional[int] = None,
    seed: int = ...,
    bootstrap: int = ...,
    regime_start: Optional[str] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> tuple[dict[str, bytes], str, list[str]]: ...
def save(folder: str, files: list[tuple[str, bytes]], force: bool = False) -> None: ...
def compare_headline(folder: str, uncertainty: Optional[str] = None) -> list[dict]: ...
def version() -> str: ...
def metric_table() -> dict[str, list]: ...

def saltelli_design(n: int, k: int, seed: int) -> list[list[float]]: ...
def sobol_indices(
    y: list[float], n: int, k: int, resamples: int = 1000, seed: int = 0
) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]], float]: ...
def chatterjee_xi(x: list[float], y: list[float], resamples: int = 1000, seed: int = 0) -> tuple[float, float, float]: ...
def variance_split(
    groups: list[list[float]], resamples: int = 1000, seed: int = 0
) -> tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]: ...
