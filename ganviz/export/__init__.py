"""The app's views rendered offscreen, frame by frame, into MP4 / GIF / PNG frames and PNG / SVG stills.

An export drives a `Lab` with a fixed number of generator steps per frame and draws each
snapshot with the same widgets the app shows, at exactly the requested size, then hands the
frames to `ganviz.export.writers`.

Modules, one job each
---------------------
- `options`: the views, sizes and other options, their defaults and checks, and the frame
  schedule (`Plan`); torch-free and Qt-free, for the Export dialog and `ganviz export`'s help.
- `offscreen`: the headless QApplication, the captions' font, letting Qt settle before a grab.
- `captions`: the caption bar and the lesson's claim line.
- `game`: a scenario's [game] table (`GameSpec`) and the driver of the app's GameView.
- `renderer`: `Renderer`, the views in an offscreen container, drawn to RGB or SVG.
- `producer`: the training side, on a thread or in a child process (torch).
- `encoder`: the writing side, a thread feeding a `writers` sink.
- `job`: `ExportJob` and `export`, which join the three.
- `factory`: the job as the app's Export dialog gets it, named, not imported (the ui has no torch).
- `writers`: the file formats (PyAV, Pillow); `render`: the names above in one module, as
  before they were split. `ganviz export` is ganviz/cli/export.py.

Conventions
-----------
- Frames: frame 0 shows the networks before any training (step 0); frame i
  shows them after i * steps_per_frame generator steps. ``frames=N`` gives
  exactly N frames (steps 0 .. (N-1) * steps_per_frame); ``until_step=S`` gives
  ceil(S / steps_per_frame) + 1 frames, the last one at exactly step S. With
  neither, the export runs to the scenario's ``steps``.
- Stills (``.png``, ``.svg``) show the last frame of that same schedule: the
  state after ``until_step`` steps, after (frames - 1) * steps_per_frame steps,
  or after the scenario's ``steps``. A folder path (``frames/``) gives numbered
  PNG frames instead. SVG stills are drawn by Qt's SVG generator: the whole
  frame, captions included, with lines, markers and text as vectors and the
  heatmap as an embedded image.
- Determinism: metrics (p_g, divergences, the metric history) are evaluated on
  a fixed schedule of frames, never by the clock: every frame for 1D data
  (where p_g is drawn), every ~100 generator steps for 2D data (they cost
  more than the 10 steps of a frame there), and always on the last frame. The
  same scenario, seed and options give the same frames on the CPU.
- Pipelining: training (with one torch thread) runs in a child process or on
  a worker thread, the calling (GUI) thread draws, and a worker thread
  encodes; bounded queues between them keep the order, so timing never
  changes a frame, and both ways of training give identical frames.
- Captions: a strip across the top with the title (scenario or game name) on
  the left and the loss, k and step on the right, drawn in DejaVu Sans (the
  family fontconfig gives offscreen Qt here; `offscreen.caption_family` falls
  back to Qt's default where it is missing) at a pixel size derived from the
  frame height, so that captions look the same at any screen DPI. A headless
  export that creates the QApplication also makes DejaVu Sans the application
  font, so the plots' labels use it too.
- Cancelling raises `Cancelled` from `export`; nothing is written. Every error
  that a user can cause is a `ValueError` (an `OptionError` names the option)
  or an `ExportError`, with one sentence naming the cause.
"""
