"""The synthetic patient cohort generator: vectorised, seeded, with faults on purpose.

>>> from ai2med_labs.synth import generate_cohort, Faults
>>> cohort = generate_cohort(n_patients=100, seed=1, faults=Faults.none())
>>> len(cohort.patients)
100
"""

from ai2med_labs.synth.faults import Faults
from ai2med_labs.synth.generate import GENERATOR_VERSION, generate_cohort, write_cohort

__all__ = ["Faults", "GENERATOR_VERSION", "generate_cohort", "write_cohort"]
