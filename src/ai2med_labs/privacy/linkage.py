"""The linkage attack: re-identify a "de-identified" extract by joining it to a public register.

An extract without names still carries quasi-identifiers (birth date, sex, postcode).
A public register (an electoral roll, a membership list) carries the same fields *with*
names. A released row whose quasi-identifiers match exactly one register entry is
re-identified: the attacker now knows whose diagnosis it is.

>>> released = pd.DataFrame({"birth_date": ["1980-01-01", "1990-02-02"], "sex": ["F", "M"],
...                          "dx": ["E11", "I10"]})
>>> register = pd.DataFrame({"birth_date": ["1980-01-01", "1990-02-02", "1990-02-02"],
...                          "sex": ["F", "M", "M"], "name": ["Ann", "Bo", "Cy"]})
>>> result = linkage_attack(released, register, ["birth_date", "sex"])
>>> result.n_reidentified, result.share_reidentified
(1, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ai2med_labs.privacy.pseudonymise import require_columns

__all__ = ["LinkageResult", "linkage_attack"]


@dataclass(frozen=True)
class LinkageResult:
    """What a linkage attack achieved.

    - ``matches``: one row per re-identified released record: the released columns
      plus the register's columns (suffix ``_register`` on clashes), indexed by the
      released row's index;
    - ``n_released``, ``n_reidentified``, ``share_reidentified`` (= n_reidentified / n_released);
    - ``n_correct``: how many re-identifications are right, if ``truth`` was given, else None.
    """

    matches: pd.DataFrame
    n_released: int
    n_reidentified: int
    share_reidentified: float
    n_correct: int | None = None

    def __repr__(self) -> str:
        extra = "" if self.n_correct is None else f", {self.n_correct} correct"
        return (
            f"LinkageResult({self.n_reidentified} of {self.n_released} released rows re-identified "
            f"= {self.share_reidentified:.1%}{extra})"
        )


def linkage_attack(
    released: pd.DataFrame,
    register: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    *,
    truth: tuple[str, str] | None = None,
) -> LinkageResult:
    """Join ``released`` to ``register`` on ``quasi_identifiers`` and count unique matches.

    A released row counts as re-identified when exactly one register row has the same
    quasi-identifier values (rows with a missing quasi-identifier never match).
    ``truth=(released_col, register_col)`` names columns holding the real identity on
    both sides (only the lab knows it) to count how many re-identifications are correct.
    """
    qis = [quasi_identifiers] if isinstance(quasi_identifiers, str) else list(quasi_identifiers)
    require_columns(released, qis, "the released extract")
    require_columns(register, qis, "the public register")
    if truth is not None:
        require_columns(released, [truth[0]], "the released extract")
        require_columns(register, [truth[1]], "the public register")
    reg = register.dropna(subset=qis)
    unique_reg = reg[~reg.duplicated(subset=qis, keep=False)]
    rel = released.dropna(subset=qis)
    matches = (
        rel.reset_index(names="_released_index")
        .merge(unique_reg, on=qis, how="inner", suffixes=("", "_register"), validate="many_to_one")
        .set_index("_released_index")
    )
    matches.index.name = released.index.name
    n_rel = len(released)
    n_correct = None
    if truth is not None:
        right = truth[1] if truth[1] != truth[0] or truth[0] in qis else truth[1] + "_register"
        n_correct = int((matches[truth[0]].to_numpy() == matches[right].to_numpy()).sum())
    return LinkageResult(
        matches=matches,
        n_released=n_rel,
        n_reidentified=len(matches),
        share_reidentified=len(matches) / n_rel if n_rel else 0.0,
        n_correct=n_correct,
    )
