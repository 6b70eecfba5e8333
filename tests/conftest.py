"""Test-wide set-up: offscreen Qt, one torch thread, no user settings touched."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GANVIZ_SETTINGS_ORG", "ganviz-tests")

import torch  # noqa: E402

torch.set_num_threads(1)
