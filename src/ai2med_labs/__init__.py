"""AI2MED labs: helpers for hands-on Jupyter labs on AI and patient data.

Everything here works on a *synthetic* cohort: no real person is in it.

>>> from ai2med_labs import load_cohort
>>> cohort = load_cohort()          # doctest: +SKIP
>>> cohort.patients.head()          # doctest: +SKIP
"""

from ai2med_labs.datasets import Cohort, load_cohort, load_table

__version__ = "0.1.0"

__all__ = ["Cohort", "load_cohort", "load_table", "__version__"]
