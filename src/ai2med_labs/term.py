"""The term's cohort: one setting, the same tables on a laptop, on Binder and in the grader.

``labs/cohort.json`` names the cohort every lab of this term reads::

    {"seed": 2024, "n_patients": 3000, "generator_version": "1.0"}

(optionally ``"faults"``: which faults are on, default all). The repository's shipped
cohort (``datasets/cohort``) is the default term. When the setting names another cohort,
``load_cohort()`` generates it on first use into a cache folder (``AI2MED_CACHE_DIR``, else
``$XDG_CACHE_HOME/ai2med-labs`` or ``~/.cache/ai2med-labs``) and reuses it; the generator is
seeded, so every machine gets the same bytes.

Before grading, :func:`require_course_cohort` proves the cohort that would load is the
course's, and :func:`cohort_fingerprint` names it (a hash over its files and the setting), so
each grade can say which cohort it was computed on.

>>> setting = course_setting()                       # doctest: +SKIP
>>> info = require_course_cohort()                   # doctest: +SKIP
>>> info.fingerprint[:7]                             # doctest: +SKIP
'sha256:'
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

__all__ = ["CohortSetting", "CohortInfo", "CohortMismatch", "course_setting", "cohort_fingerprint",
           "require_course_cohort", "cache_root", "course_cohort_dir", "SETTING_FILE", "SETTING_ENV"]

SETTING_FILE = "cohort.json"  # in labs/
SETTING_ENV = "AI2MED_COHORT_SETTING"
CACHE_ENV = "AI2MED_CACHE_DIR"
_FAULT_NAMES = ("missingness", "unit_mixups", "duplicates", "category_typos", "implausible_values", "leakage")


class CohortMismatch(RuntimeError):
    """The cohort that would load is missing, empty or not the one the course names."""


@dataclass(frozen=True)
class CohortSetting:
    """Which cohort the term uses: seed, size, generator version and faults.

    >>> CohortSetting(seed=7, n_patients=500).command("DIR")
    'ai2med-labs generate --seed 7 --patients 500 --out DIR'
    """

    seed: int
    n_patients: int
    generator_version: str = "1.0"
    faults: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(_FAULT_NAMES, True))
    source: str = ""  # the file it was read from ("" when built in code)

    def key(self) -> str:
        """A short hash of the setting (not of any files): names its cache folder."""
        text = json.dumps(self.identity(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def identity(self) -> dict:
        """What makes two cohorts the same: everything but where the setting was read from."""
        return {"seed": self.seed, "n_patients": self.n_patients,
                "generator_version": self.generator_version, "faults": dict(sorted(self.faults.items()))}

    def command(self, out: str = "DIR") -> str:
        """The shell command that writes this cohort."""
        extra = "" if all(self.faults.values()) else "  # and the faults " + json.dumps(self.faults)
        return f"ai2med-labs generate --seed {self.seed} --patients {self.n_patients} --out {out}{extra}"

    def matches(self, metadata: dict) -> list[str]:
        """What differs between this setting and a cohort's ``cohort.json`` (empty: none)."""
        found = {"seed": metadata.get("seed"), "n_patients": metadata.get("n_patients"),
                 "generator_version": metadata.get("generator_version"),
                 "faults": dict(sorted((metadata.get("faults") or {}).items()))}
        return [f"{k} {found[k]!r} (the course's: {v!r})" for k, v in self.identity().items() if found[k] != v]


@dataclass(frozen=True)
class CohortInfo:
    """The cohort grading will use: where it is, what it is, and its fingerprint."""

    path: Path
    fingerprint: str
    seed: int
    n_patients: int
    generator_version: str
    source: str  # why this folder: "AI2MED_DATA_DIR", "the data_dir argument", "shipped", "cache"

    def as_dict(self) -> dict:
        """Plain data (for a grading report): the path as text."""
        return {**asdict(self), "path": str(self.path)}

    def describe(self) -> str:
        """One line for a log: which cohort, from where."""
        return (f"cohort seed {self.seed}, {self.n_patients:,} patients, generator "
                f"{self.generator_version}, {self.fingerprint[:19]} from {self.path} ({self.source})")


def _setting_candidates() -> list[Path]:
    from ai2med_labs.paths import CourseNotFound, labs_dir

    found = []
    if os.environ.get(SETTING_ENV):
        return [Path(os.environ[SETTING_ENV])]
    try:
        found.append(labs_dir() / SETTING_FILE)
    except CourseNotFound:
        pass
    try:
        found.append(Path(str(resources.files("ai2med_labs") / "_data" / "labs-cohort.json")))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover
        pass
    return found


def course_setting(path: str | os.PathLike | None = None) -> CohortSetting:
    """The term's cohort setting: ``path``, else ``AI2MED_COHORT_SETTING``, else ``labs/cohort.json``
    of the repository (or the copy inside the installed package).

    Without any of them, the setting of the shipped cohort (``datasets/cohort/cohort.json``).
    """
    candidates = [Path(path)] if path is not None else _setting_candidates()
    for candidate in candidates:
        if candidate.is_file():
            return _read_setting(candidate)
    if path is not None or os.environ.get(SETTING_ENV):
        raise FileNotFoundError(f"no cohort setting at {candidates[0]}: write one like "
                                '{"seed": 2024, "n_patients": 3000, "generator_version": "1.0"}')
    from ai2med_labs.datasets import METADATA_FILE, shipped_data_dir

    shipped = shipped_data_dir()
    if shipped is None:
        raise FileNotFoundError("no labs/cohort.json and no shipped cohort: reinstall ai2med-labs")
    return _read_setting(shipped / METADATA_FILE)


def _read_setting(path: Path) -> CohortSetting:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object with seed and n_patients")
    missing = [k for k in ("seed", "n_patients") if k not in data]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}: it must name the term's cohort, e.g. "
                         '{"seed": 2024, "n_patients": 3000, "generator_version": "1.0"}')
    for key in ("seed", "n_patients"):
        if isinstance(data[key], bool) or not isinstance(data[key], int) or data[key] < 0:
            raise ValueError(f"{path}: {key} must be a non-negative whole number, got {data[key]!r}")
    faults = dict.fromkeys(_FAULT_NAMES, True)
    unknown = sorted(set(data.get("faults") or {}) - set(_FAULT_NAMES))
    if unknown:
        raise ValueError(f"{path}: unknown fault(s) {', '.join(unknown)}; known: {', '.join(_FAULT_NAMES)}")
    faults.update({k: bool(v) for k, v in (data.get("faults") or {}).items()})
    return CohortSetting(seed=data["seed"], n_patients=data["n_patients"],
                         generator_version=str(data.get("generator_version", "1.0")), faults=faults,
                         source=str(path))


def cache_root() -> Path:
    """Where cohorts generated on demand are kept."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ai2med-labs"


def _table_files(folder: Path, metadata: dict) -> list[Path]:
    from ai2med_labs.schema import TABLES

    file_format = metadata.get("format", "csv")
    return [folder / f"{name}.{file_format}" for name in TABLES]


def cohort_fingerprint(path: str | os.PathLike) -> str:
    """``sha256:<hex>`` over the table files' bytes (in table order) and the cohort's setting.

    Two folders with the same fingerprint hold the same tables, byte for byte.

    >>> cohort_fingerprint("datasets/cohort")[:7]   # doctest: +SKIP
    'sha256:'
    """
    from ai2med_labs.datasets import METADATA_FILE

    folder = Path(path)
    metadata = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
    digest = hashlib.sha256()
    setting = {k: metadata.get(k) for k in ("seed", "n_patients", "generator_version", "faults", "format")}
    digest.update(json.dumps(setting, sort_keys=True).encode())
    for table in _table_files(folder, metadata):
        digest.update(f"\0{table.name}\0".encode())
        with open(table, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                digest.update(block)
    return "sha256:" + digest.hexdigest()


def course_cohort_dir(setting: CohortSetting | None = None, generate: bool = True) -> Path:
    """The folder holding the course's cohort: the shipped one if it is the course's, else the
    cache folder, generated there first if needed (and ``generate``)."""
    from ai2med_labs.datasets import METADATA_FILE, shipped_data_dir

    setting = setting or course_setting()
    shipped = shipped_data_dir()
    if shipped is not None and not setting.matches(_metadata(shipped)):
        return shipped
    folder = cache_root() / setting.key()
    if (folder / METADATA_FILE).is_file() or not generate:
        return folder
    _generate_into(setting, folder)
    return folder


def _generate_into(setting: CohortSetting, folder: Path) -> None:
    """Generate the setting's cohort into ``folder``: written beside it, then renamed, so a
    reader never sees half a cohort and two machines racing both end with the same files."""
    from ai2med_labs.synth import Faults, write_cohort
    from ai2med_labs.synth.generate import GENERATOR_VERSION

    if setting.generator_version != GENERATOR_VERSION:
        raise CohortMismatch(
            f"the course's cohort is made by generator version {setting.generator_version} "
            f"({setting.source or 'setting'}), but this ai2med-labs has version {GENERATOR_VERSION}: "
            "install the ai2med-labs version of this term, or ask your instructor for the cohort files "
            "and set AI2MED_DATA_DIR to their folder.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=folder.name + ".partial-", dir=folder.parent))
    try:
        write_cohort(setting.n_patients, setting.seed, partial, faults=Faults(**setting.faults),
                     progress=False)
        try:
            partial.rename(folder)
        except OSError:  # another process finished first: its files are the same
            if not (folder / "cohort.json").is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _metadata(folder: Path) -> dict:
    from ai2med_labs.datasets import METADATA_FILE

    return json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))


def require_course_cohort(data_dir: str | os.PathLike | None = None,
                          setting: CohortSetting | None = None) -> CohortInfo:
    """The cohort that would load (``data_dir``, else ``AI2MED_DATA_DIR``, else the course's),
    checked against the course setting; raises :class:`CohortMismatch` saying what was found,
    what the course expects and how to fix it when it is missing, empty or another cohort.

    >>> require_course_cohort().describe()           # doctest: +SKIP
    'cohort seed 2024, 3,000 patients, generator 1.0, sha256:1b2c... from .../datasets/cohort (shipped)'
    """
    from ai2med_labs.datasets import ENV_VAR, METADATA_FILE, shipped_data_dir

    setting = setting or course_setting()
    if data_dir is not None:
        folder, source = Path(data_dir), "the data_dir argument"
    elif os.environ.get(ENV_VAR):
        folder, source = Path(os.environ[ENV_VAR]), ENV_VAR
    else:
        folder = course_cohort_dir(setting)
        source = "shipped" if folder == shipped_data_dir() else "cache"
    where = f"{folder} (from {source})"
    fix = (f"Fix: run `{setting.command(str(folder))}`"
           + (f", or unset {ENV_VAR} to use the course's cohort" if source == ENV_VAR else "")
           + f". The course's setting: {setting.source or 'built in'}.")
    if not folder.is_dir():
        raise CohortMismatch(f"no cohort at {where}: the folder does not exist. {fix}")
    if not (folder / METADATA_FILE).is_file():
        contents = sorted(p.name for p in folder.iterdir())[:5]
        found = "it is empty" if not contents else f"it holds {', '.join(contents)} but no {METADATA_FILE}"
        raise CohortMismatch(f"no cohort at {where}: {found}. {fix}")
    try:
        metadata = _metadata(folder)
    except json.JSONDecodeError as exc:
        raise CohortMismatch(f"{folder / METADATA_FILE} is not valid JSON ({exc.msg}). {fix}") from None
    differences = setting.matches(metadata)
    if differences:
        raise CohortMismatch(f"the cohort at {where} is not the course's: it has {'; '.join(differences)}. {fix}")
    for table in _table_files(folder, metadata):
        if not table.is_file():
            raise CohortMismatch(f"the cohort at {where} is incomplete: {table.name} is missing. {fix}")
        if table.stat().st_size == 0:
            raise CohortMismatch(f"the cohort at {where} is incomplete: {table.name} is empty. {fix}")
    _check_row_counts(folder, metadata, where, fix)
    return CohortInfo(path=folder.resolve(), fingerprint=cohort_fingerprint(folder), seed=int(metadata["seed"]),
                      n_patients=int(metadata["n_patients"]),
                      generator_version=str(metadata["generator_version"]), source=source)


def _check_row_counts(folder: Path, metadata: dict, where: str, fix: str) -> None:
    """A truncated or edited CSV has another number of lines than ``cohort.json`` says."""
    if metadata.get("format", "csv") != "csv":
        return
    for name, rows in (metadata.get("rows") or {}).items():
        path = folder / f"{name}.csv"
        with open(path, "rb") as handle:
            lines = sum(block.count(b"\n") for block in iter(lambda h=handle: h.read(1 << 22), b""))
        if lines - 1 != rows:
            raise CohortMismatch(f"the cohort at {where} is damaged: {path.name} has {max(lines - 1, 0):,} rows, "
                                 f"its {'cohort.json'} says {rows:,}. {fix}")
