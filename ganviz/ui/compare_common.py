"""What the Compare view's parts share: its constants, the panels' colours and their texts.

The captions (modes, high-quality samples, reverse KL) and the subtitles (the settings that set a
panel apart) are plain strings, computed here from a snapshot's numbers and a scenario's panels;
`ganviz.ui.compare_view` draws them.
"""
from __future__ import annotations

import math
from typing import Any

from ganviz.core.settings import switch_loss
from ganviz.ui.theme import Theme

N_TRAIL = 64            # fixed-z fakes that leave trails
TRAIL_LENGTH = 24       # positions kept per trail
MAX_COLUMNS = 4
MAX_ROWS = 2
CHARTS_SHARE = 0.3      # of the height (charts below) or the width (charts beside the panels)
# Panel colours as indices into the theme's series palette: yellow (6) comes last, as it
# nearly vanishes on a white projector screen.
COLOUR_ORDER = (0, 1, 2, 3, 4, 5, 7, 6)
# Settings shown in a panel's subtitle when they differ between panels, in this order.
SUBTITLE_FIELDS = ("k", "g_steps", "lr_d", "lr_g", "beta1", "beta2", "unroll", "gp", "r1", "clip", "consensus",
                   "label_smoothing", "instance_noise", "spectral_norm", "minibatch_std", "freeze_g")
REV_KL_TIP = ("rev-KL: KL(q \u2016 p) in nats between q, the share of G's high-quality samples per mode, "
              "and p, the mixture's weights (PacGAN / VEEGAN). 0 when G spreads over the modes like the data; "
              "it grows as G piles onto fewer modes.")


def panel_colour(theme: Theme, i: int) -> str:
    return theme.series(COLOUR_ORDER[i % len(COLOUR_ORDER)])


def loss_changes(current: dict, loss_id: str) -> dict:
    """A panel's switch to `loss_id` with its recommended settings, except those all panels share."""
    return switch_loss(current, loss_id)[0]


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def distinguishing(settings: list[dict]) -> list[str]:
    """For each panel, the settings (other than the loss) that set it apart from the others.

    A value shared by more panels than any other value is the common case and is not
    shown; when no value is the most common, every panel shows its own.
    """
    out: list[list[str]] = [[] for _ in settings]
    for f in SUBTITLE_FIELDS:
        values = [repr(s.get(f)) for s in settings]
        counts = {v: values.count(v) for v in values}
        if len(counts) < 2:
            continue
        top = max(counts.values())
        common = [v for v, c in counts.items() if c == top]
        for i, v in enumerate(values):
            if len(common) > 1 or v != common[0]:
                out[i].append(f"{f} {_fmt(settings[i].get(f))}")
    return [" \u00b7 ".join(parts) for parts in out]



def caption_text(modes: float, k: int, hq: float, rkl: float, diverged: bool, short: bool = False) -> str:
    """A panel's caption; `short` (a compact view) keeps modes and HQ, the numbers its lesson reads."""
    m = "\u2013" if not math.isfinite(modes) else f"{int(round(modes))}"
    # Early in training a few tenths of a percent are the news, so small fractions keep a decimal.
    h = "\u2013" if not math.isfinite(hq) else f"{100 * hq:.1f}%" if hq < 0.1 else f"{100 * hq:.0f}%"
    r = "\u2013" if not math.isfinite(rkl) else f"{rkl:.2f}"
    text = f"modes {m}/{k} \u00b7 HQ {h}" + ("" if short else f" \u00b7 rev-KL {r}")
    return ("DIVERGED \u00b7 " + text) if diverged else text

