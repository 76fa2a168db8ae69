"""Import the libraries of the steps after dbt while dbt builds.

GX, SciPy, lifelines, scikit-survival and matplotlib are slow to import.
Loading the definitions (every `isadex run`, every code-location load in the UI) imports
none of them: the modules that use them import them where they are used. The dbt step calls
:func:`import_in_background`: while dbt builds in its own process this one only relays dbt's
events, so the imports the validation, endpoint and figure steps would pay next cost no wall
time (60-subject run: README, Performance). A later ``import`` of a module this thread is
still importing waits on Python's import lock, so a step sees either a finished import or
the same one, never a half-initialised module.
"""

from __future__ import annotations

import importlib
import threading

# In the order the steps after dbt need them: validation, then tables and figures.
AFTER_DBT: tuple[str, ...] = (
    "great_expectations",
    "scipy.stats",
    "lifelines",
    "lifelines.statistics",
    "sksurv.nonparametric",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
)


def import_in_background(modules: tuple[str, ...] = AFTER_DBT) -> threading.Thread:
    """Start importing ``modules`` in a daemon thread and return the thread."""

    def _import() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:
                # The step that needs the module imports it again and fails with the error.
                continue

    thread = threading.Thread(target=_import, name="import-after-dbt", daemon=True)
    thread.start()
    return thread
