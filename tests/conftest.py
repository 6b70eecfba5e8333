"""Test-wide set-up: offscreen Qt, one torch thread, no user settings touched."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GANVIZ_SETTINGS_ORG", "ganviz-tests")

import torch  # noqa: E402

import ganviz.ui  # noqa: E402,F401  (its CPython 3.11 + shiboken6 reference-count guard)

torch.set_num_threads(1)
