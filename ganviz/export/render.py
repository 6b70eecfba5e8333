"""The export's public names in one module, as they were before ganviz.export was split by job.

This module only re-exports; each name lives in the module that does its job (see the
package's notes, ganviz/export/__init__.py, for the layout and the conventions every export
follows): options and their checks in `options`, the Qt start-up in `offscreen`, the caption
bar in `captions`, game scenarios in `game`, `Renderer` in `renderer`, the training side in
`producer`, the encoder thread in `encoder`, `ExportJob` and `export` in `job`. The command
`ganviz export` and older scripts import from here; new code imports from the modules.

Importing it loads torch (through `job`): the ui imports `options` and `factory` instead.
"""
from __future__ import annotations

from ganviz.export.captions import CaptionBar, ClaimLine, claim_text, snapshot_captions
from ganviz.export.encoder import ENCODE_QUEUE
from ganviz.export.game import GameDriver, GameSpec
from ganviz.export.job import Cancelled, ExportJob, export
from ganviz.export.offscreen import FONT_FAMILY, caption_family, ensure_app
from ganviz.export.options import (
    CAPTION_FIELDS, DEFAULT_FPS, DEFAULT_PRESET, DEFAULT_SIZE, DEFAULT_STEPS_PER_FRAME, MAX_FRAMES, MAX_SIDE,
    METRICS_STEPS, MIN_SIDE, PROCESS_MIN_FRAMES, SIZE_PRESETS, TRAINERS, VIEWS, OptionError, Plan, default_view,
    is_still, parse_size, resolve_view,
)
from ganviz.export.producer import PREFETCH, TRAIN_STAGES
from ganviz.export.renderer import Renderer
from ganviz.export.writers import ExportError

__all__ = [
    "VIEWS", "CAPTION_FIELDS", "SIZE_PRESETS", "DEFAULT_FPS", "DEFAULT_SIZE", "DEFAULT_STEPS_PER_FRAME",
    "METRICS_STEPS", "TRAINERS", "Cancelled", "OptionError", "ExportError", "Renderer", "ExportJob", "export",
    "default_view", "resolve_view", "caption_family", "ensure_app", "parse_size", "is_still",
    # also importable from here, as before the split
    "DEFAULT_PRESET", "MIN_SIDE", "MAX_SIDE", "MAX_FRAMES", "PROCESS_MIN_FRAMES", "PREFETCH", "ENCODE_QUEUE",
    "TRAIN_STAGES", "FONT_FAMILY", "CaptionBar", "ClaimLine", "claim_text", "snapshot_captions", "GameSpec",
    "GameDriver", "Plan",
]
