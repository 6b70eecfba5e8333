"""Test-wide set-up: offscreen Qt, one torch thread, no user settings touched."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GANVIZ_SETTINGS_ORG", "ganviz-tests")

import torch  # noqa: E402

import ganviz.ui  # noqa: E402,F401  (its CPython 3.11 + shiboken6 reference-count guard)

torch.set_num_threads(1)

# Property tests draw the same examples on every run, so CI's verdict does not depend on luck;
# GANVIZ_FUZZ=1 draws fresh ones (what to run when hunting for new counterexamples).
from hypothesis import settings  # noqa: E402

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("fuzz", print_blob=True)
settings.load_profile("fuzz" if os.environ.get("GANVIZ_FUZZ") else "repeatable")
