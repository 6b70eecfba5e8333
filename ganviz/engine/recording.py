"""A run as it was shown: its pictures' data frame by frame, and checkpoints to train on from.

A `Recording` keeps what the views drew at each recorded frame (the snapshot's arrays, the grids of
D, D* and p_g at 16-bit precision, arrays that did not change since the last frame stored once) and, at
checkpoints, the trainer's weights, optimiser state and random streams as numpy arrays. It holds
itself to a memory budget by thinning older frames (every other one of the older half), never by
dropping the start of the run. The metric history, which every snapshot carries (thinned as the run
grows), is kept once, as a table of the distinct rows seen, and each frame keeps the indices of the rows
it showed.

A `.ganviz` file is a zip of the scenario (TOML), the frames' descriptions (JSON), the arrays
(`.npy`, read with allow_pickle=False) and the checkpoints (`.npz`): nothing in it is loaded by
pickle, so a file from elsewhere can carry no code. A damaged, truncated or foreign file is
refused with one sentence (`RunFileError`).

Torch-free: the ui reads recordings; converting a trainer's state to arrays and back is
`ganviz.engine.checkpoints`' job.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Union

import numpy as np

from ganviz.core import scenario as S
from ganviz.engine.snapshot import Snapshot, frozen

FORMAT = "ganviz-run"
VERSION = 1
DEFAULT_BUDGET = 500 * 1024**2          # bytes of frames and checkpoints kept in memory
QUANTISE_FROM = 1024                     # grids with at least this many values are stored in 16 bits
# The pictures on a grid (heatmaps and density curves) are stored in 16 bits; points, arrows and lines (the
# fakes, their gradients, G's manifold) exactly, so that a recorded frame draws them to the same pixel.
QUANTISED = frozenset({"d_grid", "p_g", "d_star"})
MAX_FILE_BYTES = 8 * 1024**3             # uncompressed: a larger "run" is refused, not unpacked
NAN_CODE = 65535                         # the 16-bit code of NaN (the others span [lo, hi])

# Snapshot fields kept apart: the metric history (one growing table) and the mappings of arrays. Every
# other field is an array (stored), None, or plain data kept in the frame's JSON (tuples as lists).
_HISTORY = ("history_steps", "history", "slow_steps")
_MAPPINGS = ("latest", "extra")
_LIVE_ONLY = ("timeline",)       # a live session's business, not the picture's (see Snapshot.timeline)
_FLOAT_DEFAULTS = {"w1_floor": math.nan, "steps_per_sec": 0.0}     # JSON has no NaN: null reads back as these


class RunFileError(ValueError):
    """A .ganviz file that cannot be read: one sentence naming the file and what is wrong."""


# -- arrays, stored -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stored:
    """One array as kept: raw, or quantised to 16 bits over [lo, hi] (NaN as NAN_CODE, ±inf clipped)."""
    data: np.ndarray
    dtype: str
    lo: float = 0.0
    hi: float = 0.0
    quantised: bool = False

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)

    def decode(self) -> np.ndarray:
        if not self.quantised:
            return frozen(self.data, self.data.dtype)
        q = self.data
        out = self.lo + (q.astype(np.float64) * ((self.hi - self.lo) / (NAN_CODE - 1) if self.hi > self.lo else 0.0))
        out[q == NAN_CODE] = np.nan
        return frozen(out, np.dtype(self.dtype))


def store(a: np.ndarray, quantise: bool = True) -> Stored:
    a = np.asarray(a)
    if not quantise or a.dtype.kind != "f" or a.size < QUANTISE_FROM:
        return Stored(np.array(a, copy=True), str(a.dtype))
    finite = np.isfinite(a)
    vals = a[finite]
    lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (0.0, 0.0)
    scale = (NAN_CODE - 1) / (hi - lo) if hi > lo else 0.0
    q = np.rint((np.clip(np.where(finite, a, lo), lo, hi) - lo) * scale).astype(np.uint16)
    q[np.isnan(a)] = NAN_CODE
    return Stored(q, str(a.dtype), lo, hi, True)


def _digest(a: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(str(a.dtype).encode() + str(a.shape).encode())
    h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


# -- frames and checkpoints -------------------------------------------------------------------------------
@dataclass
class Frame:
    step: int
    arrays: dict            # snapshot field (or "latest/<key>", "extra" ...) -> blob key
    meta: dict              # the plain fields, JSON-able
    history: Optional[tuple]    # (table id, blob key of the row indices) of the metric history it showed
    slow: Optional[tuple]       # the same for the slow metrics' history (None: the same steps as history)


@dataclass(frozen=True)
class Event:
    """A moment worth finding again on the timeline."""
    step: int
    kind: str               # one of EVENT_KINDS
    text: str


EVENT_KINDS = {
    "mode": "a mode captured or lost",
    "diverged": "a GAN diverged",
    "saturated": "D saturated (its accuracy reached 99 %)",
    "settings": "a setting changed (loss, k, a learning rate ...)",
    "bookmark": "a bookmark",
}
SATURATED = 0.99        # D's accuracy from which D counts as saturated


@dataclass
class Checkpoint:
    step: int
    arrays: dict            # name -> np.ndarray (weights, optimiser state, random streams)

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in self.arrays.values()))


class _Table:
    """The distinct rows of metric history seen in a run: steps (R,) and per key (M, R), in buffers that
    double as they fill. A snapshot's history (thinned by the Lab as the run grows) is a list of these rows;
    a frame keeps only their indices, so that the history of every frame costs a few bytes a row once."""

    def __init__(self, keys: tuple = (), m: int = 0) -> None:
        self.keys, self.m = tuple(keys), int(m)
        self._steps = np.zeros(0, dtype=np.int64)
        self._values: dict[str, np.ndarray] = {k: np.zeros((self.m, 0)) for k in self.keys}
        self.n = 0
        self._lookup: Optional[dict] = {}

    def __len__(self) -> int:
        return self.n

    @property
    def steps(self) -> np.ndarray:
        return self._steps[:self.n]

    def values(self, key: str) -> np.ndarray:
        return self._values[key][:, :self.n]

    def _matrix(self, values: dict) -> np.ndarray:
        return np.concatenate([np.asarray(values[k], dtype=np.float64).reshape(self.m, -1) for k in self.keys],
                              axis=0).T

    def _reserve(self, rows: int) -> None:
        need = self.n + rows
        if need <= len(self._steps):
            return
        cap = max(64, need, 2 * len(self._steps))
        steps = np.zeros(cap, dtype=np.int64)
        steps[:self.n] = self._steps[:self.n]
        self._steps = steps
        for k in self.keys:
            grown = np.full((self.m, cap), np.nan)
            grown[:, :self.n] = self._values[k][:, :self.n]
            self._values[k] = grown

    def rows_for(self, steps: np.ndarray, values: dict) -> np.ndarray:
        """The table's indices of a history's rows, adding the rows it has not seen."""
        if self._lookup is None:            # a loaded table: index its rows on first use
            mat = self._matrix({k: self.values(k) for k in self.keys})
            self._lookup = {(int(st), hash(row.tobytes())): i for i, (st, row) in enumerate(zip(self.steps, mat))}
        steps = np.asarray(steps, dtype=np.int64)
        mat = self._matrix(values)
        out = np.empty(len(steps), dtype=np.int32)
        for j, (st, row) in enumerate(zip(steps, mat)):
            key = (int(st), hash(row.tobytes()))
            i = self._lookup.get(key)
            if i is None:
                self._reserve(1)
                i = self.n
                self._steps[i] = st
                for r, k in enumerate(self.keys):
                    self._values[k][:, i] = row[r * self.m:(r + 1) * self.m]
                self.n += 1
                self._lookup[key] = i
            out[j] = i
        return out

    def load(self, steps: np.ndarray, values: dict) -> None:
        self.n = len(steps)
        self._steps = np.array(steps, dtype=np.int64)
        self._values = {k: np.array(values[k], dtype=np.float64).reshape(self.m, self.n) for k in self.keys}
        self._lookup = None

    def take(self, idx: np.ndarray) -> tuple[np.ndarray, dict]:
        idx = np.asarray(idx, dtype=np.int64)
        return frozen(self._steps[idx], np.int64), {k: frozen(self._values[k][:, idx]) for k in self.keys}

    def nbytes(self) -> int:
        return int(self._steps.nbytes + sum(v.nbytes for v in self._values.values()) + 120 * self.n)


class Recording:
    """Frames and checkpoints of one run, in step order, within a memory budget."""

    def __init__(self, scenario: S.Scenario, budget: int = DEFAULT_BUDGET) -> None:
        self.scenario = scenario
        self.budget = int(budget)
        self.frames: list[Frame] = []
        self.checkpoints: list[Checkpoint] = []
        self._blobs: dict[str, Stored] = {}
        self._refs: dict[str, int] = {}
        self._last_key: dict[str, tuple] = {}              # field -> (digest, blob key, the array itself)
        self._last_extra: Optional[tuple] = None          # (the last frame's extra, as JSON)
        self._bytes = 0                                     # of the blobs
        self._tables: list[_Table] = []                     # metric history rows, by (kind, M, keys)
        self._last_history: dict[str, tuple] = {}           # kind -> (digest of the history, (table id, key))
        self.thinned = 0                                    # frames let go to keep the budget
        self.events: list[Event] = []                       # found as frames arrive, and the bookmarks
        self._state: Optional[dict] = None                  # what the last frame's events were judged on

    # -- recording -------------------------------------------------------------------------------
    def add(self, snap: Snapshot) -> None:
        """Record what `snap` shows. A step earlier than the last frame's starts a branch: the frames and
        checkpoints after it are let go first (see `truncate`)."""
        if self.frames and snap.step < self.frames[-1].step:
            self.truncate(snap.step)
        extra = dict(snap.extra)
        checkpoint = extra.pop("checkpoint", None)     # a session's state at this step (engine.session)
        arrays: dict[str, str] = {}
        absent: list[str] = []
        meta: dict[str, Any] = {}
        for f in dataclasses.fields(Snapshot):
            if f.name in _HISTORY or f.name in _MAPPINGS or f.name in _LIVE_ONLY:
                continue
            v = getattr(snap, f.name)
            if isinstance(v, np.ndarray):
                arrays[f.name] = self._keep(f.name, v)
            elif v is None:
                absent.append(f.name)
            else:
                meta[f.name] = _plain(v)
        meta["latest"] = {k: _plain(np.asarray(v)) for k, v in snap.latest.items()}
        # The settings in `extra` are the same picture after picture: converted again only when they change
        # (as JSON, six GANs' settings are some 400 values: half a millisecond a picture).
        if self._last_extra is None or self._last_extra[0] != extra:
            self._last_extra = (extra, _plain(extra))
        meta["extra"] = self._last_extra[1]
        meta["absent"] = absent
        history = self._history_rows("history", snap.history_steps,
                                     {k: v for k, v in snap.history.items() if not _is_slow(snap, k)})
        slow = None
        if snap.slow_steps is not None:
            slow = self._history_rows("slow", snap.slow_steps,
                                      {k: v for k, v in snap.history.items() if _is_slow(snap, k)})
        self.frames.append(Frame(int(snap.step), arrays, meta, history, slow))
        self._find_events(snap, meta["extra"].get("settings", []))
        if checkpoint is not None:
            self.add_checkpoint(snap.step, checkpoint)
        self._hold_budget()

    def bookmark(self, step: int, text: str = "") -> Event:
        ev = Event(int(step), "bookmark", text or f"bookmark at step {step:,}")
        self.events.append(ev)
        self.events.sort(key=lambda e: e.step)
        return ev

    def events_sorted(self) -> list[Event]:
        return sorted(self.events, key=lambda e: e.step)

    def _find_events(self, snap: Snapshot, settings: list) -> None:
        """Events between the last frame and this one: modes held, divergence, D saturating, settings changed
        (`settings`: the frame's per-GAN settings, already made JSON-able for its description)."""
        labels = list(snap.labels)
        modes = [int(n) for n in (np.asarray(snap.mode_counts) > 0).sum(axis=1)] if snap.mode_counts.size else []
        acc = np.asarray(snap.latest.get("d_acc", np.full(len(labels), np.nan)), dtype=np.float64)
        evaluation = int(snap.history_steps[-1]) if len(snap.history_steps) else -1
        state = {"modes": modes, "diverged": [bool(x) for x in np.asarray(snap.diverged)],
                 "saturated": [bool(a >= SATURATED) for a in acc],
                 "settings": settings, "labels": labels,
                 "evaluation": evaluation, "stable": modes, "pending": [None] * len(modes)}
        prev, self._state = self._state, state
        if prev is None or prev["labels"] != labels:
            return
        step = int(snap.step)

        def who(i: int) -> str:
            return f"{labels[i]}: " if len(labels) > 1 else ""

        # Modes held: judged once per evaluation, and a change counts once it holds for two evaluations in a
        # row (the count flickers when G straddles a mode's 3-sigma edge); the event is dated where it began.
        state["stable"], state["pending"] = list(prev["stable"]), list(prev["pending"])
        if evaluation != prev["evaluation"]:
            for i, now in enumerate(modes):
                was = state["stable"][i]
                pending = state["pending"][i]
                if now == was:
                    state["pending"][i] = None
                elif pending is not None and pending[0] == now:
                    what = "captured" if now > was else "lost"
                    self.events.append(Event(pending[1], "mode", f"{who(i)}a mode {what}: G holds {now} (was {was})"))
                    state["stable"][i], state["pending"][i] = now, None
                else:
                    state["pending"][i] = (now, step)
        for i, (was, now) in enumerate(zip(prev["diverged"], state["diverged"])):
            if now and not was:
                self.events.append(Event(step, "diverged", f"{who(i)}diverged (NaN or inf)"))
        for i, (was, now) in enumerate(zip(prev["saturated"], state["saturated"])):
            if now and not was:
                self.events.append(Event(step, "saturated", f"{who(i)}D saturated: accuracy {acc[i]:.1%}"))
        for i, (was, now) in enumerate(zip(prev["settings"], state["settings"])):
            if isinstance(was, dict) and isinstance(now, dict) and was != now:
                changed = [f"{k} {was.get(k)} \u2192 {v}" for k, v in now.items() if was.get(k) != v]
                self.events.append(Event(step, "settings", f"{who(i)}" + ", ".join(changed[:4])))

    def add_checkpoint(self, step: int, arrays: dict) -> None:
        """The trainer's state at `step` as numpy arrays (ganviz.engine.checkpoints.to_arrays)."""
        if self.checkpoints and step <= self.checkpoints[-1].step:
            self.checkpoints = [c for c in self.checkpoints if c.step < step]      # a newer state for that step
        self.checkpoints.append(Checkpoint(int(step), {k: np.array(v, copy=True) for k, v in arrays.items()}))
        self._hold_budget()

    def _keep(self, name: str, a: np.ndarray) -> str:
        last = self._last_key.get(name)
        if last is not None and last[1] in self._blobs and (last[2] is a or (
                last[2].shape == a.shape and last[2].dtype == a.dtype and np.array_equal(last[2], a))):
            # the last frame's array, or one equal to it (what did not move since; a comparison costs a tenth
            # of a digest, and a snapshot from the training process is a new array every picture)
            key = last[1]
        else:
            digest = _digest(a)
            if last is not None and last[0] == digest and last[1] in self._blobs:
                key = last[1]
            else:
                key = f"{name.replace('/', '.')}-{digest}"
                if key not in self._blobs:
                    self._blobs[key] = store(a, name in QUANTISED)
                    self._bytes += self._blobs[key].nbytes
            self._last_key[name] = (digest, key, a)
        self._refs[key] = self._refs.get(key, 0) + 1
        return key

    def _history_rows(self, kind: str, steps: np.ndarray, values: dict) -> Optional[tuple]:
        """(table id, blob key of row indices) for a snapshot's history; the last frame's when unchanged."""
        if not values:
            return None
        keys = tuple(values)
        m = np.asarray(values[keys[0]]).shape[0]
        h = hashlib.blake2b(np.asarray(steps, dtype=np.int64).tobytes(), digest_size=16)
        for k in keys:
            h.update(np.ascontiguousarray(values[k]).tobytes())
        digest = h.hexdigest()
        last = self._last_history.get(kind)
        if last is not None and last[0] == digest and last[1][1] in self._blobs:
            tid, key = last[1]
            self._refs[key] += 1
            return tid, key
        tid = next((i for i, t in enumerate(self._tables) if t.keys == keys and t.m == m
                    and getattr(t, "kind", kind) == kind), None)
        if tid is None:
            table = _Table(keys, m)
            table.kind = kind
            self._tables.append(table)
            tid = len(self._tables) - 1
        idx = self._tables[tid].rows_for(steps, values)
        key = self._keep(f"{kind}.rows.{tid}", idx)
        self._last_history[kind] = (digest, (tid, key))
        return tid, key

    def truncate(self, step: int) -> None:
        """Let go of the frames at `step` and after, and the checkpoints after it (a branch continues from a
        checkpoint at `step`, whose state is still the state there)."""
        keep = [f for f in self.frames if f.step < step]
        for f in self.frames[len(keep):]:
            self._release(f)
        self.frames = keep
        self.checkpoints = [c for c in self.checkpoints if c.step <= step]
        self.events = [e for e in self.events if e.step < step]
        self._state = None
        self._last_key.clear()
        self._last_history.clear()

    def _release(self, frame: Frame) -> None:
        for key in list(frame.arrays.values()) + [ref[1] for ref in (frame.history, frame.slow) if ref]:
            self._refs[key] -= 1
            if self._refs[key] == 0:
                del self._refs[key]
                self._bytes -= self._blobs.pop(key).nbytes

    # -- the budget --------------------------------------------------------------------------------
    @property
    def nbytes(self) -> int:
        return (self._bytes + sum(c.nbytes for c in self.checkpoints)
                + sum(t.nbytes() for t in self._tables) + 400 * len(self.frames))

    def _hold_budget(self) -> None:
        """Over budget, every other frame of the older half goes (the first and the newest stay), and every
        other checkpoint of the older half: the whole run stays on the timeline, more sparsely."""
        while self.nbytes > self.budget and len(self.frames) > 8:
            half = len(self.frames) // 2
            gone = self.frames[1:half:2]
            for f in gone:
                self._release(f)
            gone_ids = {id(f) for f in gone}
            self.frames = [f for f in self.frames if id(f) not in gone_ids]
            self.thinned += len(gone)
            if len(self.checkpoints) > 2:
                half_c = len(self.checkpoints) // 2
                drop = set(range(1, half_c, 2))
                self.checkpoints = [c for i, c in enumerate(self.checkpoints) if i not in drop]

    # -- reading ------------------------------------------------------------------------------------
    @property
    def steps(self) -> np.ndarray:
        return np.array([f.step for f in self.frames], dtype=np.int64)

    def index_at(self, step: int) -> int:
        """The last frame at or before `step` (the first frame for a step before it)."""
        if not self.frames:
            raise IndexError("the recording has no frames")
        i = int(np.searchsorted(self.steps, step, side="right")) - 1
        return max(0, i)

    def snapshot(self, i: int) -> Snapshot:
        """Frame i as the snapshot the views drew."""
        f = self.frames[i]
        kw: dict[str, Any] = {}
        for name, key in f.arrays.items():
            kw[name] = self._blobs[key].decode()
        latest = {k: frozen([math.nan if x is None else x for x in v]) for k, v in f.meta.get("latest", {}).items()}
        for name, v in f.meta.items():
            if name in ("extra", "absent", "latest"):
                continue
            kw[name] = tuple(_tuple(x) for x in v) if isinstance(v, list) else v
        for name in f.meta.get("absent", []):
            kw[name] = None
        for name, default in _FLOAT_DEFAULTS.items():
            if name in kw and kw[name] is None:
                kw[name] = default
        kw["notes"] = tuple(dict(n) for n in f.meta.get("notes", []))
        kw["extra"] = f.meta.get("extra", {})
        kw["latest"] = latest
        hist: dict = {}
        kw["history_steps"] = frozen(np.zeros(0, dtype=np.int64), np.int64)
        if f.history is not None:
            kw["history_steps"], hist = self._tables[f.history[0]].take(self._blobs[f.history[1]].data)
        kw["slow_steps"] = None
        if f.slow is not None:
            kw["slow_steps"], slow = self._tables[f.slow[0]].take(self._blobs[f.slow[1]].data)
            hist = {**hist, **slow}
        kw["history"] = hist
        names = {fl.name for fl in dataclasses.fields(Snapshot)}
        return Snapshot(**{k: v for k, v in kw.items() if k in names})

    def between(self, first: Optional[int] = None, last: Optional[int] = None) -> list[int]:
        """Indices of the frames with first <= step <= last."""
        return [i for i, f in enumerate(self.frames)
                if (first is None or f.step >= first) and (last is None or f.step <= last)]

    def checkpoint_at(self, step: int) -> Optional[Checkpoint]:
        """The last checkpoint at or before `step`, or None."""
        best = None
        for c in self.checkpoints:
            if c.step <= step:
                best = c
        return best

    # -- files ---------------------------------------------------------------------------------------
    @staticmethod
    def check_target(path: Union[str, os.PathLike]) -> None:
        """Raise RunFileError now if a run could not be saved to `path` (before any training)."""
        path = Path(os.path.abspath(os.path.expanduser(os.fspath(path))))
        if path.suffix.lower() != ".ganviz":
            raise RunFileError(f"{path.name}: a recorded run is saved as a .ganviz file")
        if not path.parent.is_dir():
            raise RunFileError(f"{path}: the folder {path.parent} does not exist")
        if path.is_dir():
            raise RunFileError(f"{path}: a folder with that name exists")
        probe = path.with_name(f".{path.name}.probe-{os.getpid()}")
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            raise RunFileError(f"{path}: cannot write there ({e.strerror or e})") from None

    def save(self, path: Union[str, os.PathLike]) -> Path:
        """Write the recording as a .ganviz file, atomically (a temporary beside it, then renamed)."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
        used = {k for f in self.frames for k in f.arrays.values()}
        used |= {ref[1] for f in self.frames for ref in (f.history, f.slow) if ref}
        try:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
                z.writestr("scenario.toml", S.dumps(self.scenario))
                index = {
                    "format": FORMAT, "version": VERSION,
                    "frames": [{"step": f.step, "arrays": f.arrays, "meta": f.meta,
                                "history": list(f.history) if f.history else None,
                                "slow": list(f.slow) if f.slow else None} for f in self.frames],
                    "blobs": {k: {"dtype": b.dtype, "lo": b.lo, "hi": b.hi, "quantised": b.quantised}
                              for k, b in self._blobs.items() if k in used},
                    "checkpoints": [c.step for c in self.checkpoints],
                    "events": [[e.step, e.kind, e.text] for e in self.events],
                    "tables": [{"kind": getattr(t, "kind", "history"), "keys": list(t.keys), "m": t.m}
                               for t in self._tables],
                }
                z.writestr("run.json", json.dumps(index))
                for k in sorted(used):
                    z.writestr(f"blobs/{k}.npy", _npy(self._blobs[k].data))
                for i, table in enumerate(self._tables):
                    arrays = {"steps": np.array(table.steps, dtype=np.int64)}
                    for key in table.keys:
                        arrays[f"v/{key}"] = table.values(key)
                    z.writestr(f"tables/{i}.npz", _npz(arrays))
                for i, c in enumerate(self.checkpoints):
                    z.writestr(f"checkpoints/{i}.npz", _npz(c.arrays))
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        return path

    @classmethod
    def load(cls, path: Union[str, os.PathLike], budget: int = DEFAULT_BUDGET) -> "Recording":
        path = Path(path)
        name = path.name
        if not path.is_file():
            raise RunFileError(f"{name}: no such run file")
        try:
            with zipfile.ZipFile(path) as z:
                total = sum(i.file_size for i in z.infolist())
                if total > MAX_FILE_BYTES:
                    raise RunFileError(f"{name}: unpacks to {total / 1024**3:.1f} GB, more than a run can hold "
                                       f"({MAX_FILE_BYTES / 1024**3:.0f} GB)")
                try:
                    index = json.loads(z.read("run.json"))
                except KeyError:
                    raise RunFileError(f"{name}: not a ganviz run (no run.json inside)") from None
                if not isinstance(index, dict) or index.get("format") != FORMAT:
                    raise RunFileError(f"{name}: not a ganviz run (run.json names no {FORMAT!r} format)")
                if index.get("version") != VERSION:
                    raise RunFileError(f"{name}: a ganviz run of format version {index.get('version')!r}; "
                                       f"this ganviz reads version {VERSION}")
                try:
                    scenario = S.loads(z.read("scenario.toml").decode("utf-8"), f"{name}/scenario.toml")
                except S.ScenarioError as e:
                    raise RunFileError(f"{name}: its scenario is not valid ({e})") from None
                rec = cls(scenario, budget)
                for key, meta in index["blobs"].items():
                    data = np.load(io.BytesIO(z.read(f"blobs/{key}.npy")), allow_pickle=False)
                    rec._blobs[key] = Stored(data, str(meta["dtype"]), float(meta["lo"]), float(meta["hi"]),
                                             bool(meta["quantised"]))
                    rec._bytes += rec._blobs[key].nbytes
                for i, t in enumerate(index["tables"]):
                    table = _Table(tuple(t["keys"]), int(t["m"]))
                    table.kind = str(t["kind"])
                    with np.load(io.BytesIO(z.read(f"tables/{i}.npz")), allow_pickle=False) as npz:
                        table.load(npz["steps"], {k: npz[f"v/{k}"] for k in table.keys})
                    rec._tables.append(table)
                for fr in index["frames"]:
                    refs = [tuple(fr[k]) if fr.get(k) else None for k in ("history", "slow")]
                    f = Frame(int(fr["step"]), dict(fr["arrays"]), dict(fr["meta"]), refs[0], refs[1])
                    for key in list(f.arrays.values()) + [r[1] for r in refs if r]:
                        if key not in rec._blobs:
                            raise RunFileError(f"{name}: frame at step {f.step} names an array the file lacks")
                        rec._refs[key] = rec._refs.get(key, 0) + 1
                    for r in refs:
                        if r and not (0 <= int(r[0]) < len(rec._tables)
                                      and int(rec._blobs[r[1]].data.max(initial=-1)) < len(rec._tables[int(r[0])])):
                            raise RunFileError(f"{name}: frame at step {f.step} points past its metric history")
                    rec.frames.append(f)
                for step, kind, text in index.get("events", []):
                    if kind not in EVENT_KINDS:
                        raise RunFileError(f"{name}: an event of unknown kind {kind!r}")
                    rec.events.append(Event(int(step), str(kind), str(text)))
                for i, step in enumerate(index["checkpoints"]):
                    with np.load(io.BytesIO(z.read(f"checkpoints/{i}.npz")), allow_pickle=False) as npz:
                        rec.checkpoints.append(Checkpoint(int(step), {k: np.array(npz[k]) for k in npz.files}))
        except RunFileError:
            raise
        except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as e:
            raise RunFileError(f"{name}: not a ganviz run, or a truncated or damaged one ({type(e).__name__}: "
                               f"{e})") from None
        except (KeyError, ValueError, TypeError, IndexError, json.JSONDecodeError, UnicodeDecodeError) as e:
            raise RunFileError(f"{name}: a damaged ganviz run ({type(e).__name__}: {e})") from None
        if not rec.frames:
            raise RunFileError(f"{name}: the run has no frames")
        rec.frames.sort(key=lambda f: f.step)
        return rec

    def __iter__(self) -> Iterator[Snapshot]:
        return (self.snapshot(i) for i in range(len(self.frames)))

    def __len__(self) -> int:
        return len(self.frames)


def _is_slow(snap: Snapshot, key: str) -> bool:
    from ganviz.core.metric_info import SLOW_KEYS
    return snap.slow_steps is not None and key in SLOW_KEYS


def _plain(v: Any) -> Any:
    """A snapshot's plain field as JSON: tuples as lists, numpy scalars as numbers, NaN as null."""
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, np.ndarray):
        return _plain(v.tolist())
    return v


def _tuple(v: Any) -> Any:
    return tuple(_tuple(x) for x in v) if isinstance(v, list) else v


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def _npz(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()
