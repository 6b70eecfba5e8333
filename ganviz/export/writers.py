"""File writers for exported animations and stills: MP4, GIF, PNG sequence, PNG/SVG still.

Frames arrive as numpy uint8 arrays of shape (height, width, 3), RGB. Sizes are
given as (width, height), the way Qt and Pillow give them.

Conventions
-----------
- Where an export goes is chosen by the output path (or by ``fmt``):

  ``talk.mp4``   H.264 (libx264), yuv420p, BT.709 limited range, ``+faststart``.
                 Width and height must be even.
  ``talk.gif``   loops forever; one adaptive palette per frame, no dithering.
  ``frames/``    a folder of numbered PNG frames ``frame_00000.png``,
                 ``frame_00001.png``, ... (ffmpeg: ``-i frames/frame_%05d.png``).
                 A path that ends in a separator, has no suffix or is an
                 existing folder names a folder. A folder that exists must be
                 empty or hold only a previous frame sequence, which is then
                 replaced as a whole. ``x.png`` is never a sequence: it is the
                 name of a single still (`write_still`).

- Nothing is ever half-written: every output is written under a hidden
  temporary name in the destination folder (``.talk.mp4.part-1a2b3c4d``), synced,
  and renamed onto the final name (`os.replace`) only when complete. Abort,
  cancel and errors delete the temporary file or folder; an existing output of
  the same name stays untouched until the new one replaces it.

- Where the output cannot go (missing or read-only folder, name taken by a
  folder, unsupported suffix, odd MP4 size) `open_writer` raises `ExportError`
  before any frame is rendered. A full disk at any later point (errno ENOSPC,
  from Python, Pillow or FFmpeg) also becomes `ExportError`, after clean-up.

- GIF timing: GIF delays are whole centiseconds, so frame i is shown for
  round(100 (i+1) / fps) - round(100 i / fps) cs. Per frame this is the nearest
  centisecond give or take one, and the total duration is exact: 20, 25 and 50
  fps give even delays; 30 fps gives 3, 4, 3, 3, 4, 3, ... cs (an average of
  exactly 30 fps). Browsers slow delays under 2 cs down to 10 cs, so GIFs are
  capped at 50 fps (`GIF_MAX_FPS`); `FrameWriter.achieved_fps` says what plays.

- GIF frames store only the rectangle that changed since the previous frame,
  and a frame identical to its predecessor is kept as a one-pixel frame, so the
  frame count is exactly the number of `write` calls (Pillow's own multi-frame
  writer would merge such frames). A rectangle with at most ``colors`` distinct
  colours is stored exactly (plots with flat backgrounds: no dithering noise,
  no colour shifts); a richer one is reduced by median cut.

- Output is deterministic: the same frames give byte-identical GIF and PNG
  files and MP4s that decode to identical frames.

Why one long module: the three encoders and the still writers share the safe-file machinery
(a hidden temporary beside the target, fsync, an atomic rename, clean-up on every failure), and
tests patch the encoder library (`writers.av`) in one place.
"""
from __future__ import annotations

import errno
import math
import os
import re
import secrets
import shutil
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Literal

import av
import numpy as np
from av.video.reformatter import ColorPrimaries, ColorRange, Colorspace, ColorTrc
from PIL import GifImagePlugin, Image

__all__ = [
    "ExportError",
    "ExportFormat",
    "FORMATS",
    "STILL_FORMATS",
    "GIF_MAX_FPS",
    "MP4_PRESETS",
    "FRAME_NAME",
    "FrameWriter",
    "resolve_format",
    "check_output",
    "open_writer",
    "write_still",
    "write_bytes_atomic",
]


class ExportError(Exception):
    """An export cannot be written; the message is one sentence naming path and cause."""


@dataclass(frozen=True)
class ExportFormat:
    suffix: str
    description: str
    # True when the output is a folder of files rather than one file.
    folder: bool


FORMATS: dict[str, ExportFormat] = {
    ".mp4": ExportFormat(".mp4", "MP4 video (H.264, plays in slides and browsers)", folder=False),
    ".gif": ExportFormat(".gif", "GIF animation (loops forever, at most 50 frames/s)", folder=False),
    ".png": ExportFormat(".png", "Folder of numbered PNG frames (frame_00000.png, ...)", folder=True),
}

# Still images of the current view; SVG is drawn by the view layer and saved
# with `write_bytes_atomic`.
STILL_FORMATS: dict[str, str] = {
    ".png": "PNG image",
    ".svg": "SVG drawing",
}

GIF_MAX_FPS = 50.0
FRAME_NAME = "frame_{:05d}.png"
_FRAME_FILE = re.compile(r"frame_\d{5,}\.png")

MP4_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium", "slow", "slower", "veryslow",
)

_CAUSES: dict[int, str] = {
    errno.ENOSPC: "the disk is full",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "a folder with that name exists",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.EFBIG: "the file is too large for the file system",
}
if hasattr(errno, "EDQUOT"):
    _CAUSES[errno.EDQUOT] = "the disk quota is exceeded"


def _error(path: Path, cause: str, started: bool = False) -> ExportError:
    if started:
        return ExportError(f"Cannot write {path}: {cause}; nothing was written.")
    return ExportError(f"Cannot write {path}: {cause}.")


def _os_error(path: Path, err: OSError, started: bool) -> ExportError:
    cause = _CAUSES.get(err.errno) if err.errno is not None else None
    if cause is None:
        text = err.strerror or str(err) or type(err).__name__
        cause = text[:1].lower() + text[1:]
    return _error(path, cause, started)


# --------------------------------------------------------------------------
# Targets: format, folder checks, temporary names


def _normalise_suffix(fmt: str) -> str:
    suffix = fmt.strip().lower()
    return suffix if suffix.startswith(".") else "." + suffix


def _unsupported(suffix: str) -> ExportError:
    return ExportError(
        f"Unsupported output format '{suffix}'; use .mp4, .gif, "
        "or a folder path (ending in '/' or without a suffix) for numbered PNG frames."
    )


def _absolute(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


def resolve_format(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The `FORMATS` key an animation written to `path` gets (see the module notes)."""
    text = os.fspath(path)
    target = _absolute(text)
    names_folder = text.endswith(("/", os.sep))
    suffix = "" if names_folder else target.suffix.lower()
    if fmt is not None:
        key = _normalise_suffix(fmt)
        if key not in FORMATS:
            raise _unsupported(key)
        if suffix in FORMATS and suffix != key:
            raise ExportError(f"Cannot write {target}: the name ends in {suffix} but the format is {key}.")
        if names_folder and not FORMATS[key].folder:
            raise ExportError(f"Cannot write {target}: the path names a folder but {key} is a single file.")
        if not (key == ".png" and suffix == ".png"):
            return key
    if suffix in FORMATS and not FORMATS[suffix].folder:
        return suffix
    if names_folder or not suffix or target.is_dir():
        return ".png"
    if suffix == ".png":
        raise ExportError(
            f"Cannot write an animation to {target}: a .png file holds one still; "
            f"give a folder path such as {target.with_suffix('')}{os.sep} for numbered PNG frames."
        )
    raise _unsupported(suffix)


def _check_target(target: Path, folder: bool) -> None:
    parent = target.parent
    if not parent.exists():
        raise _error(target, "the folder does not exist")
    if not parent.is_dir():
        raise _error(target, f"{parent} is not a folder")
    if not folder:
        if target.is_dir():
            raise _error(target, "a folder with that name exists")
        return
    if target.exists() and not target.is_dir():
        raise _error(target, "a file with that name exists")
    if target.is_dir() and not _is_frame_folder(target):
        raise _error(target, "the folder holds other files; pick an empty or new folder")


def _is_frame_folder(folder: Path) -> bool:
    """True when `folder` is empty or holds only frames of an earlier sequence."""
    try:
        return all(_FRAME_FILE.fullmatch(entry.name) and entry.is_file() for entry in os.scandir(folder))
    except OSError:
        return False


def _create_temp(target: Path, folder: bool) -> Path:
    """Create the hidden temporary file or folder next to `target`; this is the writability test.

    Its name carries this process's id: a temporary left by an export that was killed (SIGKILL
    leaves no chance to clean up) is removed by the next export to the same name."""
    _remove_stale_temps(target)
    while True:
        temp = target.with_name(f".{target.name}.part-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            if folder:
                os.mkdir(temp, 0o777)
            else:
                # Not mkstemp: its 0600 mode would survive the rename.
                os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666))
            return temp
        except FileExistsError:
            continue
        except OSError as err:
            if err.errno == errno.ENOENT:
                # The folder was checked to exist: it is one (like /proc) that takes no new files.
                raise _error(target, "the folder does not accept new files") from err
            raise _os_error(target, err, started=False) from err


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True       # someone else's process, or a platform that cannot tell: leave its file
    return True


def _remove_stale_temps(target: Path) -> None:
    """Remove `target`'s temporaries whose exporting process no longer runs."""
    try:
        siblings = list(target.parent.glob(f".{target.name}.part-*"))
    except OSError:
        return
    for temp in siblings:
        pid = temp.name[len(f".{target.name}.part-"):].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            _remove_quietly(temp)


def _remove_quietly(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except OSError:
        pass


def _open_binary(path: Path) -> BinaryIO:
    # The one place output files are opened, so that tests can swap in a full disk.
    return open(path, "wb")


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height) in pixels; got {size!r}.") from None
    if width < 1 or height < 1 or (width, height) != tuple(size):
        raise ValueError(f"size must be two positive whole numbers (width, height); got {size!r}.")
    return width, height


def _check_fps(fps: float) -> float:
    try:
        value = float(fps)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and 0.01 <= value <= 1000):
        raise ValueError(f"fps must be a number from 0.01 to 1000; got {fps!r}.")
    return value


def _check_int_option(name: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}; got {value!r}.")
    return int(value)


def check_output(
    path: str | os.PathLike[str],
    fmt: str | None = None,
    size: tuple[int, int] | None = None,
) -> str:
    """Raise `ExportError` now if an animation could not be written to `path`.

    For dialogs and command lines that want to fail before any work. Returns the
    `FORMATS` key. Creates and removes a temporary file or folder to test writing.
    """
    key = resolve_format(path, fmt)
    target = _absolute(path)
    if size is not None:
        _check_format_size(target, key, _check_size(size))
    _check_target(target, FORMATS[key].folder)
    _remove_quietly(_create_temp(target, FORMATS[key].folder))
    return key


def _check_format_size(target: Path, key: str, size: tuple[int, int]) -> None:
    width, height = size
    if key == ".mp4" and (width % 2 or height % 2):
        raise _error(target, f"H.264 video needs an even width and height; got {width}x{height}")
    if key == ".gif" and max(width, height) > 0xFFFF:
        raise _error(target, f"GIF images are at most 65535 pixels wide and high; got {width}x{height}")


def _check_frame(frame: object, size: tuple[int, int], index: int) -> np.ndarray:
    width, height = size
    expected = (height, width, 3)
    if not isinstance(frame, np.ndarray):
        raise ValueError(
            f"Frame {index} is a {type(frame).__name__}; expected a numpy array of shape "
            f"{expected} (height, width, RGB) and dtype uint8."
        )
    if frame.shape != expected or frame.dtype != np.uint8:
        raise ValueError(
            f"Frame {index} has shape {frame.shape} and dtype {frame.dtype}; expected shape "
            f"{expected} (height, width, RGB) and dtype uint8."
        )
    return np.ascontiguousarray(frame)


# --------------------------------------------------------------------------
# Writers


class FrameWriter(ABC):
    """Writes frames to a temporary name; `close` commits it, `abort` discards it.

    As a context manager it commits on normal exit and aborts on an exception.
    A writer that is garbage-collected without `close` leaves nothing behind.
    """

    format: str

    def __init__(self, path: Path, temp: Path, fps: float, size: tuple[int, int]) -> None:
        self.path = path
        self.fps = fps
        self.size = size
        self.frames_written = 0
        self._temp = temp
        self._state: Literal["open", "closed", "aborted"] = "open"
        self._discard = weakref.finalize(self, _remove_quietly, temp)

    @property
    def shape(self) -> tuple[int, int, int]:
        """The shape `write` accepts: (height, width, 3)."""
        return (self.size[1], self.size[0], 3)

    @property
    def achieved_fps(self) -> float:
        """The frame rate the written file plays at."""
        return self.fps

    def write(self, frame: np.ndarray) -> None:
        """Append one RGB frame of shape `shape`, dtype uint8."""
        if self._state != "open":
            raise ValueError(f"The writer for {self.path} is {self._state}; no more frames can be written.")
        array = _check_frame(frame, self.size, self.frames_written)
        self._guarded(self._write_frame, array)
        self.frames_written += 1

    def close(self) -> Path:
        """Finish the file and move it onto `path`; returns `path`."""
        if self._state == "closed":
            return self.path
        if self._state == "aborted":
            raise ValueError(f"The writer for {self.path} was aborted; there is nothing to save.")
        if self.frames_written == 0:
            self.abort()
            raise _error(self.path, "no frames were written")
        self._guarded(self._finish)
        self._guarded(self._commit)
        self._state = "closed"
        self._discard.detach()
        return self.path

    def abort(self) -> None:
        """Discard everything written so far; safe to call at any time, never raises."""
        if self._state != "open":
            return
        self._state = "aborted"
        try:
            self._release()
        except Exception:
            pass  # the temporary output is deleted below; its handles no longer matter
        finally:
            self._discard()

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _guarded(self, step: Callable[..., None], *args: object) -> None:
        try:
            step(*args)
        except OSError as err:
            self.abort()
            raise _os_error(self.path, err, started=True) from err
        except BaseException:
            self.abort()
            raise

    @abstractmethod
    def _write_frame(self, frame: np.ndarray) -> None: ...

    @abstractmethod
    def _finish(self) -> None:
        """Flush everything into the temporary output."""

    @abstractmethod
    def _release(self) -> None:
        """Close open handles after a failure, without writing more."""

    def _commit(self) -> None:
        _fsync_path(self._temp)
        os.replace(self._temp, self.path)


class _Mp4Writer(FrameWriter):
    format = ".mp4"

    def __init__(self, path: Path, temp: Path, fps: float, size: tuple[int, int], crf: int, preset: str) -> None:
        super().__init__(path, temp, fps, size)
        # An exact rational rate (29.97 -> 2997/100, 30000/1001 stays) and pts = frame index:
        # the muxer then neither drops nor repeats frames.
        self._rate = Fraction(fps).limit_denominator(1001)
        self._container = av.open(str(temp), mode="w", format="mp4", options={"movflags": "+faststart"})
        try:
            stream = self._container.add_stream("libx264", rate=self._rate)
            stream.width, stream.height = size
            stream.pix_fmt = "yuv420p"
            stream.time_base = 1 / self._rate
            stream.options = {"crf": str(crf), "preset": preset}
            context = stream.codec_context
            # One encoder thread: as fast on 2 cores (scripts/bench_writers.py: 80 frames/s at 1280x720 either
            # way) and less CPU taken from rendering and training (13 ms a frame against 16).
            context.thread_count = 1
            context.time_base = 1 / self._rate
            # Tag what the conversion below produces; untagged HD video is guessed as
            # BT.709 by some players and BT.601 by others, which shifts plot colours.
            context.colorspace = Colorspace.ITU709
            context.color_primaries = ColorPrimaries.BT709
            context.color_trc = ColorTrc.BT709
            context.color_range = ColorRange.MPEG
        except BaseException:
            self._container.close()
            raise
        self._stream = stream

    @property
    def achieved_fps(self) -> float:
        return float(self._rate)

    def _write_frame(self, frame: np.ndarray) -> None:
        rgb = av.VideoFrame.from_ndarray(frame, format="rgb24")
        yuv = rgb.reformat(format="yuv420p", dst_colorspace=Colorspace.ITU709, dst_color_range=ColorRange.MPEG)
        yuv.pts = self.frames_written
        yuv.time_base = 1 / self._rate
        self._mux(self._stream.encode(yuv))

    def _mux(self, packets: Iterable[av.Packet]) -> None:
        self._container.mux(list(packets))

    def _finish(self) -> None:
        self._mux(self._stream.encode(None))
        self._container.close()

    def _release(self) -> None:
        self._container.close()


class _GifWriter(FrameWriter):
    format = ".gif"

    def __init__(self, path: Path, temp: Path, fps: float, size: tuple[int, int], colors: int) -> None:
        super().__init__(path, temp, fps, size)
        self._colors = colors
        self._centis_per_frame = 100.0 / min(fps, GIF_MAX_FPS)
        self._previous: np.ndarray | None = None
        # Maps a packed 0xRRGGBB colour to its palette index; only entries of the
        # current frame's colours are ever read, so it is never cleared.
        self._index_of: np.ndarray | None = None
        self._file = _open_binary(temp)

    @property
    def achieved_fps(self) -> float:
        return min(self.fps, GIF_MAX_FPS)

    def _delay_cs(self, index: int) -> int:
        step = self._centis_per_frame
        return math.floor((index + 1) * step + 0.5) - math.floor(index * step + 0.5)

    def _write_frame(self, frame: np.ndarray) -> None:
        if self._previous is None:
            self._file.write(_gif_header(self.size))
            box = (0, 0, self.size[0], self.size[1])
        else:
            box = _changed_box(self._previous, frame)
        left, top, right, bottom = box
        image = self._palettize(frame[top:bottom, left:right])
        chunks = GifImagePlugin.getdata(
            image,
            offset=(left, top),
            duration=10 * self._delay_cs(self.frames_written),  # milliseconds, a whole number of cs
            disposal=1,  # keep: the next frame draws only its changed rectangle on top
            include_color_table=True,
        )
        for chunk in chunks:
            self._file.write(chunk)
        # The caller may reuse its frame buffer.
        self._previous = frame.copy()

    def _palettize(self, rgb: np.ndarray) -> Image.Image:
        image = Image.fromarray(rgb)
        found = image.getcolors(self._colors)
        if found is None:
            return image.quantize(self._colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        # Few colours: an exact palette, built directly because median cut takes about 5x longer
        # to find the same one. Most frequent first, so the background is index 0.
        palette = np.array([colour for _, colour in sorted(found, key=lambda c: (-c[0], c[1]))], dtype=np.uint8)
        if self._index_of is None:
            self._index_of = np.zeros(1 << 24, dtype=np.uint8)
        self._index_of[_packed(palette)] = np.arange(len(palette), dtype=np.uint8)
        indices = self._index_of[_packed(rgb)]
        result = Image.frombytes("P", (rgb.shape[1], rgb.shape[0]), indices.tobytes())
        result.putpalette(palette.tobytes())
        return result

    def _finish(self) -> None:
        self._file.write(b";")
        self._file.close()

    def _release(self) -> None:
        self._file.close()


def _packed(rgb: np.ndarray) -> np.ndarray:
    channels = rgb.astype(np.uint32)
    return (channels[..., 0] << 16) | (channels[..., 1] << 8) | channels[..., 2]


def _gif_header(size: tuple[int, int]) -> bytes:
    width, height = size
    screen = b"GIF89a" + width.to_bytes(2, "little") + height.to_bytes(2, "little")
    # No global colour table (every frame carries its own), background 0, square pixels.
    screen += b"\x00\x00\x00"
    loop_forever = b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    return screen + loop_forever


def _changed_box(previous: np.ndarray, frame: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) around the pixels that differ; a 1x1 box when none do."""
    height, width, _ = frame.shape
    differs = (previous != frame).reshape(height, width * 3)
    rows = np.flatnonzero(differs.any(axis=1))
    if rows.size == 0:
        # Still write a frame: the frame count and timing must match the writes.
        return (0, 0, 1, 1)
    cols = np.flatnonzero(differs[rows[0] : rows[-1] + 1].any(axis=0).reshape(width, 3).any(axis=1))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


class _PngSequenceWriter(FrameWriter):
    format = ".png"

    def __init__(self, path: Path, temp: Path, fps: float, size: tuple[int, int], compress_level: int) -> None:
        super().__init__(path, temp, fps, size)
        self._compress_level = compress_level

    def _write_frame(self, frame: np.ndarray) -> None:
        name = self._temp / FRAME_NAME.format(self.frames_written)
        # No fsync per frame: it doubled the time per frame, and the folder rename
        # at the end already keeps a cancelled or failed sequence out of sight.
        with _open_binary(name) as file:
            Image.fromarray(frame).save(file, format="PNG", compress_level=self._compress_level)

    def _finish(self) -> None:
        pass  # every frame file is complete once written

    def _release(self) -> None:
        pass  # no handle stays open between frames

    def _commit(self) -> None:
        if not self.path.exists():
            os.rename(self._temp, self.path)
            return
        # An earlier sequence of this name (checked at open) is swapped out whole,
        # so no stale frames of a longer run survive among the new ones.
        if not _is_frame_folder(self.path):
            raise OSError(errno.ENOTEMPTY, "the folder now holds other files")
        old = self.path.with_name(f".{self.path.name}.old-{secrets.token_hex(4)}")
        os.rename(self.path, old)
        try:
            os.rename(self._temp, self.path)
        except OSError:
            os.rename(old, self.path)
            raise
        _remove_quietly(old)


def open_writer(
    path: str | os.PathLike[str],
    *,
    fps: float,
    size: tuple[int, int],
    fmt: str | None = None,
    crf: int = 18,
    preset: str = "veryfast",
    colors: int = 256,
    compress_level: int = 1,
) -> FrameWriter:
    """Open a writer for an animation of frames of `size` = (width, height) at `fps`.

    The format comes from `fmt` (a `FORMATS` key, with or without the dot) or
    from `path` (see the module notes). MP4 options: `crf` (0-51, lower is
    better; 18 looks lossless on plots) and the x264 `preset` (veryfast encodes
    1280x720 plots at about 50 frames/s on 2 cores; slower presets barely shrink
    plot videos). GIF: `colors` per frame (2-256). PNG frames: zlib
    `compress_level` (0-9; 1 is 3x faster than 6 for 1.6x the size).

    Raises ValueError for a bad argument and `ExportError` when `path` cannot
    take the export; either happens before anything is written.
    """
    fps = _check_fps(fps)
    size = _check_size(size)
    crf = _check_int_option("crf", crf, 0, 51)
    if preset not in MP4_PRESETS:
        raise ValueError(f"preset must be one of {', '.join(MP4_PRESETS)}; got {preset!r}.")
    colors = _check_int_option("colors", colors, 2, 256)
    compress_level = _check_int_option("compress_level", compress_level, 0, 9)

    key = resolve_format(path, fmt)
    target = _absolute(path)
    _check_format_size(target, key, size)
    _check_target(target, FORMATS[key].folder)
    temp = _create_temp(target, FORMATS[key].folder)
    try:
        if key == ".mp4":
            return _Mp4Writer(target, temp, fps, size, crf, preset)
        if key == ".gif":
            return _GifWriter(target, temp, fps, size, colors)
        return _PngSequenceWriter(target, temp, fps, size, compress_level)
    except OSError as err:
        _remove_quietly(temp)
        raise _os_error(target, err, started=False) from err
    except BaseException:
        _remove_quietly(temp)
        raise


# --------------------------------------------------------------------------
# Stills


def _write_file_atomic(path: str | os.PathLike[str], produce: Callable[[BinaryIO], None]) -> Path:
    target = _absolute(path)
    _check_target(target, folder=False)
    temp = _create_temp(target, folder=False)
    try:
        with _open_binary(temp) as file:
            produce(file)
        _fsync_path(temp)
        os.replace(temp, target)
    except OSError as err:
        _remove_quietly(temp)
        raise _os_error(target, err, started=True) from err
    except BaseException:
        _remove_quietly(temp)
        raise
    return target


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write `data` (str is saved as UTF-8) to `path` via a temporary name; returns the path.

    For SVG stills drawn by the view layer, and any other file that must never
    be seen half-written.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return _write_file_atomic(path, lambda file: file.write(payload))


def write_still(path: str | os.PathLike[str], frame: np.ndarray, *, compress_level: int = 6) -> Path:
    """Save one RGB frame, shape (height, width, 3) uint8, as a PNG file; returns the path."""
    suffix = _absolute(path).suffix.lower()
    if suffix != ".png":
        raise ExportError(
            f"Unsupported still format '{suffix}'; use .png (SVG stills come from the view as text)."
        )
    compress_level = _check_int_option("compress_level", compress_level, 0, 9)
    if not isinstance(frame, np.ndarray) or frame.ndim != 3:
        raise ValueError(
            f"A still must be a numpy array of shape (height, width, 3) and dtype uint8; got "
            f"{getattr(frame, 'shape', type(frame).__name__)}."
        )
    array = _check_frame(frame, (frame.shape[1], frame.shape[0]), 0)

    def produce(file: BinaryIO) -> None:
        Image.fromarray(array).save(file, format="PNG", compress_level=compress_level)

    return _write_file_atomic(path, produce)
