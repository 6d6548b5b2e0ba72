"""Progress bars that work in JupyterLab and in a terminal, without a warning.

``tqdm.auto`` warns "IProgress not found" as soon as it is *imported* in a notebook whose
environment lacks ipywidgets (Binder's, or a ``[lab]`` install), and a novice reads the red
box as an error. :func:`progress_bar` decides when a bar is made: the widget where ipywidgets
is installed, tqdm's plain text bar everywhere else.

>>> with progress_bar(total=3, disable=True) as bar:
...     _ = bar.update(3)
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

__all__ = ["progress_bar"]


def progress_bar(**kwargs: Any) -> Any:
    """A ``tqdm`` bar taking tqdm's keyword arguments (``total``, ``desc``, ``disable``...).

    The notebook widget when running in Jupyter with ipywidgets installed, else a text bar.
    """
    try:
        widgets = find_spec("ipywidgets") is not None
    except (ImportError, ValueError):  # a broken or half-installed ipywidgets
        widgets = False
    if widgets:
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm(**kwargs)
