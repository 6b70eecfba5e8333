"""Time the export writers on synthetic plot-like frames.

    python scripts/bench_writers.py                  # 300 frames, 1280x720, MP4 and GIF
    python scripts/bench_writers.py --heatmap        # add a D(x)-style heatmap panel
    python scripts/bench_writers.py --formats mp4,gif,png --frames 100

Only the writer's own calls (write and close) are timed; drawing the frames is
not. Wall time includes the encoder's helper threads; CPU time per frame is what
competes with rendering and training on a 2-core machine.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ganviz.export.writers import open_writer  # noqa: E402

LINE_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44)]


def plot_frame(index: int, width: int, height: int, heatmap: bool) -> np.ndarray:
    """A flat background, grid, axes, three moving curves and a cloud of samples."""
    image = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    for x in range(0, width, width // 16):
        draw.line([(x, 0), (x, height)], fill=(225, 225, 225))
    for y in range(0, height, height // 9):
        draw.line([(0, y), (width, y)], fill=(225, 225, 225))
    draw.line([(40, height - 40), (width - 20, height - 40)], fill=(40, 40, 40), width=2)
    draw.line([(40, 20), (40, height - 40)], fill=(40, 40, 40), width=2)
    if heatmap:
        panel_w, panel_h = width // 2 - 60, height - 80
        y, x = np.mgrid[0:panel_h, 0:panel_w] / np.array([panel_h, panel_w]).reshape(2, 1, 1)
        value = 0.5 + 0.5 * np.sin(6 * x + 0.1 * index) * np.cos(4 * y - 0.05 * index)
        rgb = np.stack([255 * value, 60 + 150 * value, 255 * (1 - value)], axis=-1).astype(np.uint8)
        image.paste(Image.fromarray(rgb), (50, 30))
    xs = np.linspace(width // 2, width - 20, 500)
    for k, colour in enumerate(LINE_COLOURS):
        ys = height / 2 + height / 4 * np.sin(xs / 70 + 0.08 * index + k) * np.exp(-0.3 * k)
        draw.line(list(zip(xs.tolist(), ys.tolist())), fill=colour, width=2)
    rng = np.random.default_rng(index)
    for px, py in rng.normal([width * 0.75, height * 0.5], [width / 16, height / 12], (200, 2)).tolist():
        draw.ellipse([px - 3, py - 3, px + 3, py + 3], fill=(214, 39, 40))
    return np.asarray(image)


def bench(fmt: str, frames: int, size: tuple[int, int], fps: float, heatmap: bool, folder: Path) -> None:
    target = folder / ("frames" if fmt == "png" else f"bench.{fmt}")
    wall = cpu = 0.0
    writer = open_writer(target, fps=fps, size=size, fmt=fmt)
    for i in range(frames):
        frame = plot_frame(i, *size, heatmap)
        t0, c0 = time.perf_counter(), time.process_time()
        writer.write(frame)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    writer.close()
    wall += time.perf_counter() - t0
    cpu += time.process_time() - c0
    if target.is_dir():
        nbytes = sum(p.stat().st_size for p in target.iterdir())
    else:
        nbytes = target.stat().st_size
    print(
        f"{fmt:4s} {frames} frames {size[0]}x{size[1]}: {frames / wall:6.1f} frames/s "
        f"({1e3 * wall / frames:5.1f} ms wall, {1e3 * cpu / frames:5.1f} ms CPU per frame), "
        f"{nbytes / 1e6:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT")
    parser.add_argument("--fps", type=float, default=25)
    parser.add_argument("--formats", default="mp4,gif", help="comma-separated: mp4, gif, png")
    parser.add_argument("--heatmap", action="store_true", help="add a many-colour heatmap panel")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    print(f"{os.cpu_count()} CPUs; content: lines{' + heatmap' if args.heatmap else ''}")
    with tempfile.TemporaryDirectory() as folder:
        for fmt in args.formats.split(","):
            bench(fmt.strip(), args.frames, (width, height), args.fps, args.heatmap, Path(folder))


if __name__ == "__main__":
    main()
