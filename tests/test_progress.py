"""Progress bars in a notebook without ipywidgets: no "IProgress not found" warning.

The review found that box in 7 of 10 labs: ``tqdm.auto`` warns on import where ipywidgets
is missing (Binder, a ``[lab]`` install). Here a kernel hides ipywidgets, imports the
package's modules that make bars and draws one: nothing may reach stderr.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

HIDE_IPYWIDGETS = """
import sys

for _name in [m for m in sys.modules if m.startswith(("ipywidgets", "tqdm", "ai2med_labs"))]:
    del sys.modules[_name]
sys.modules["ipywidgets"] = None   # import ipywidgets now fails, as where it is not installed
"""

DRAW = """
import ai2med_labs.synth.generate
from ai2med_labs.progress import progress_bar
from ai2med_labs.synth import generate_cohort

generate_cohort(n_patients=50, seed=1, progress=True)
with progress_bar(total=2, desc="two steps") as bar:
    bar.update(2)
print(type(bar).__module__)
"""


def test_no_tqdm_warning_without_ipywidgets() -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(HIDE_IPYWIDGETS), nbformat.v4.new_code_cell(DRAW)]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = [o for cell in nb.cells for o in cell.outputs]
    text = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
    warnings = [o.get("text", "") for o in outputs if o.get("name") == "stderr"
                and ("Warning" in o.get("text", "") or "IProgress" in o.get("text", ""))]
    assert not warnings, f"a warning reached the notebook: {warnings}"
    assert "tqdm.std" in text, f"expected tqdm's text bar without ipywidgets, got {text!r}"
