"""Scenarios: everything that defines a run, as a dataclass and as a TOML file.

A scenario file looks like this (every table and key is optional)::

    name = "Mode collapse on ring8"
    description = "Non-saturating GAN drops modes of the ring"
    seed = 0
    device = "auto"        # auto | cpu | cuda | mps
    steps = 5000
    view = "2d"            # the view the app opens with: 1d | 2d | compare | game | exercise

    [data]
    preset = "ring8"       # or a mixture of your own:
    # means = [[0, 0], [2, 2]]   stds = [0.1, 0.2]  (or covs = [[[..]]])   weights = [0.7, 0.3]
    # or, for the exercise model (view = "exercise"), fixed real points: points = [[1, 2], [3, 4]]

    [model]                # ModelSettings: the networks' layout
    latent_dim = 2
    # the exercise model instead (settings.SMALL_MODEL_SCHEMA): generator = "points", fake_points = [[5, 6]],
    # discriminator = "linear-logistic", theta = [0.1, 0.2], signs = [1, -1], bias = -2.0, learn_bias = false

    [train]                # TrainSettings: all live-changeable in the app
    loss = "ns"
    k = 1

    [[panels]]             # Compare view / `ganviz compare`: each panel overrides [train]
    loss = "minimax"

    [[claims]]             # what the lesson shows, checked by `ganviz lessons --check`
    text = "..."           # (see ganviz.core.lessons)

Built-in scenarios live in the repository's resources/scenarios (installed as ganviz/resources/scenarios,
see `ganviz.paths`) and can be named without a path.
"""
from __future__ import annotations

import math
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Optional

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from ganviz.core.budget import check_cost
from ganviz.core.data import PRESETS, Mixture, MixtureError, mixture_from_spec, preset
from ganviz.core.settings import (DATA, EXERCISE_TRAIN_FIELDS, GAME, MODEL_FIELDS, RUN, SHARED_FIELDS, SMALL_MODEL,
                                  TRAIN, TRAIN_FIELDS, ModelSettings, SettingsError, TrainSettings, small_model,
                                  validate_exercise, validate_model, validate_train)
from ganviz.core.settings import validate_game as settings_validate_game
from ganviz.paths import resource

VIEWS = ("1d", "2d", "compare", "game", "exercise")
TOP_KEYS = ("name", "description", "seed", "device", "steps", "view", "data", "model", "train", "panels", "game",
            "claims")
DATA_KEYS = ("preset", "means", "stds", "covs", "weights", "bounds", "points")
MAX_PANELS = 8
# Fixed real points seen as a mixture (the app's data table and its idle network session): a narrow
# Gaussian at each point.
POINT_STD = 0.05
# The [exercise] table of earlier versions, now written in the general tables.
EXERCISE_TABLE_GONE = ('exercise: the [exercise] table is no longer read; write its real points as [data] points, '
                       'its fakes and D in [model] (generator = "points", fake_points, discriminator = '
                       '"linear-logistic", theta, signs, bias, learn_bias) and loss, optimizer, lr_d, lr_g, k in '
                       '[train] (train.freeze_g = true for generator = "fixed"), as the built-in kcl-q3-one-step does')


class ScenarioError(ValueError):
    """A scenario that cannot run; the message is one sentence naming the field."""


@dataclass(frozen=True)
class DataSpec:
    preset: Optional[str] = "ring8"
    means: Optional[list] = None
    stds: Optional[list] = None
    covs: Optional[list] = None
    weights: Optional[list] = None
    bounds: Optional[list] = None   # [[lo, hi]] per dimension: the box the views and metrics cover
    points: Optional[list] = None   # fixed real points, for the exercise model (instead of preset and means)

    def mixture(self) -> Mixture:
        """The data distribution; fixed points as a narrow Gaussian (std POINT_STD) at each point, the mixture
        a network GAN would see (the exercise model itself reads the points)."""
        if self.points is not None:
            if not all(isinstance(p, (list, tuple)) and len(p) == len(self.points[0]) for p in self.points):
                raise MixtureError("data.points: every point needs the same number of coordinates")
            if len(self.points[0]) > 2:
                raise MixtureError(f"data.points: each point needs 1 or 2 coordinates, as every data set of ganviz "
                                   f"(got {len(self.points[0])})")
            return mixture_from_spec(self.points, [POINT_STD])
        if self.preset is not None:
            return preset(self.preset)
        return mixture_from_spec(self.means, self.stds, self.covs, self.weights)

    @property
    def label(self) -> str:
        if self.points is not None:
            return f"{len(self.points)} fixed points"
        return self.preset if self.preset is not None else "custom mixture"


@dataclass(frozen=True)
class Scenario:
    name: str = "untitled"
    description: str = ""
    seed: int = 0
    device: str = "auto"
    steps: int = 2000
    view: str = ""
    data: DataSpec = DataSpec()
    model: ModelSettings = ModelSettings()
    train: TrainSettings = TrainSettings()
    panels: tuple = ()          # tuple of dicts: overrides of `train`, one per Compare panel
    game: dict = field(default_factory=dict)
    # [model]'s exercise-model keys (settings.SMALL_MODEL_SCHEMA: a G of fixed points, a linear-logistic D);
    # {} for a GAN of networks
    small_model: dict = field(default_factory=dict)
    claims: tuple = ()          # what the lesson shows, checkable (ganviz.core.claims.Claim)

    @property
    def dim(self) -> int:
        if self.data.points is not None and self.data.points and isinstance(self.data.points[0], (list, tuple)):
            return len(self.data.points[0])
        return self.data.mixture().dim

    @property
    def exercise(self) -> dict:
        """The exercise model's spec (core.exercise.Exercise takes it): the real points of [data], the fakes
        and D of [model], the loss, learning rates, k and freeze_g of [train]; {} unless view = "exercise"."""
        if self.view != "exercise":
            return {}
        try:
            return validate_exercise(self._exercise_fields())
        except SettingsError as e:
            raise ScenarioError(str(e)) from None

    def _exercise_fields(self) -> dict:
        m = self.small_model
        spec = {"points": self.data.points, **{k: m.get(k) for k in ("fake_points", "theta", "signs", "bias",
                                                                          "learn_bias")}}
        spec.update({k: getattr(self.train, k) for k in ("loss", "lr_d", "lr_g", "k", "freeze_g")})
        return spec

    def panel_settings(self) -> list[TrainSettings]:
        """One TrainSettings per panel (the plain [train] when there are no panels)."""
        if not self.panels:
            return [self.train]
        return [replace(self.train, **{k: v for k, v in p.items() if k != "label"}) for p in self.panels]

    def panel_labels(self) -> list[str]:
        if not self.panels:
            return [self.train.loss]
        return [str(p.get("label") or p.get("loss", self.train.loss)) for p in self.panels]

    def validate(self) -> "Scenario":
        _check_run(self.seed, "seed")
        _check_run(self.steps, "steps")
        if not isinstance(self.device, str) or not (self.device in ("auto", "cpu", "cuda", "mps")
                                                    or self.device.startswith("cuda:")):
            raise ScenarioError(f"device: must be auto, cpu, cuda or mps (got {_short(self.device)})")
        if self.view and self.view not in VIEWS:
            raise ScenarioError(f"view: must be one of {', '.join(VIEWS)} (got {_short(self.view)})")
        if self.data.preset is not None and self.data.preset not in PRESETS:
            raise ScenarioError(f"data.preset: unknown preset {self.data.preset!r}; choose one of {', '.join(PRESETS)}")
        try:
            if self.view == "exercise" or self.data.points is not None or self.small_model:
                self._check_exercise()
            check_bounds(self.data.bounds, self.data.mixture().dim)
            validate_model(self.model)
            validate_train(self.train)
        except (MixtureError, SettingsError) as e:
            raise ScenarioError(str(e)) from None
        if len(self.panels) > MAX_PANELS:
            raise ScenarioError(f"panels: at most {MAX_PANELS} panels (got {len(self.panels)})")
        for i, p in enumerate(self.panels):
            for key in p:
                if key not in TRAIN_FIELDS and key != "label":
                    raise ScenarioError(f"panels[{i}].{key}: unknown setting; a panel may set {_join(TRAIN_FIELDS)}")
                if key in SHARED_FIELDS and p[key] != getattr(self.train, key):
                    raise ScenarioError(f"panels[{i}].{key}: panels train in lockstep and must share {key}; "
                                        f"set it in [train]")
        for i, s in enumerate(self.panel_settings() if self.panels else []):
            try:
                validate_train(s, f"panels[{i}]")
            except SettingsError as e:
                raise ScenarioError(str(e)) from None
        if self.view not in ("game", "exercise"):
            try:
                self.check_cost()
            except SettingsError as e:
                raise ScenarioError(str(e)) from None
        return self

    def _check_exercise(self) -> None:
        """The exercise model's rules: fixed points, a G of points and a linear-logistic D go together, with
        view = "exercise", no networks, no panels, and plain SGD on every point without regularisers."""
        sm = self.small_model
        if self.view != "exercise":
            what = ("data.points" if self.data.points is not None else
                    "model.generator" if sm.get("generator") == "points" else "model.discriminator")
            raise SettingsError(f'{what}: fixed points and the linear-logistic D are computed by the exercise '
                                f'model only (one GAN step by hand); add view = "exercise"')
        if self.data.points is None:
            raise SettingsError("data.points: an exercise scenario needs its real points, e.g. points = [[1, 2], "
                                "[3, 4]] in [data]")
        for key in ("preset", "means", "stds", "covs", "weights", "bounds"):
            if getattr(self.data, key) is not None:
                raise SettingsError(f"data.{key}: give either fixed points (data.points) or a mixture, not both")
        if sm.get("generator") != "points":
            raise SettingsError('model.generator: an exercise scenario\'s G is its fake points; set generator = '
                                '"points" and fake_points in [model]')
        if sm.get("discriminator") != "linear-logistic":
            raise SettingsError('model.discriminator: the exercise model computes a linear-logistic D by hand; '
                                'set discriminator = "linear-logistic" and theta in [model]')
        for name in MODEL_FIELDS:
            if getattr(self.model, name) != getattr(ModelSettings(), name):
                raise SettingsError(f"model.{name}: the exercise model has no networks; [model] may set "
                                    f"{_join(SMALL_MODEL)} only")
        if self.panels:
            raise SettingsError("panels: the exercise model is one GAN; leave [[panels]] out")
        for name in TRAIN_FIELDS:
            if name not in EXERCISE_TRAIN_FIELDS and getattr(self.train, name) != getattr(TrainSettings(), name):
                why = ("its minibatch is every point" if name == "batch_size" else
                       f"it has no {TRAIN[name].label.lower()}")
                raise SettingsError(f"train.{name}: the exercise model trains by plain SGD on every point and "
                                    f"{why}; leave {name} out")
        if self.train.optimizer != "sgd":
            raise SettingsError(f'train.optimizer: the exercise model steps by plain SGD, as the sheets do; set '
                                f'optimizer = "sgd" (got {self.train.optimizer!r})')
        validate_exercise(self._exercise_fields())
        self.data.mixture()

    def check_cost(self, model: Optional[ModelSettings] = None, trains: Optional[list[TrainSettings]] = None):
        """The cost of one step of this scenario's GANs (or of `model` / `trains` in its place);
        SettingsError naming the fields when it is beyond the budget (ganviz.core.budget)."""
        mixture = self.data.mixture()
        return check_cost(model or self.model, trains if trains is not None else self.panel_settings(),
                          mixture.dim, mixture.n_components)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        out.update(seed=self.seed, device=self.device, steps=self.steps)
        if self.view:
            out["view"] = self.view
        out["data"] = {k: v for k, v in asdict(self.data).items() if v is not None}
        if self.view == "exercise":
            # the fields the exercise model reads, and no others (the loader refuses the networks' ones)
            out["model"] = {k: v for k, v in self.small_model.items() if v is not None}
            out["train"] = {k: getattr(self.train, k) for k in EXERCISE_TRAIN_FIELDS
                            if k != "freeze_g" or self.train.freeze_g}
        else:
            out["model"] = asdict(self.model)
            out["train"] = asdict(self.train)
        if self.panels:
            out["panels"] = [dict(p) for p in self.panels]
        if self.game:
            out["game"] = dict(self.game)
        if self.claims:
            out["claims"] = [{k: v for k, v in asdict(c).items() if v is not None and not (k == "factor" and v == 1.0)
                              and not (k == "after" and v == 0) and not (k == "at" and v == "end")}
                             for c in self.claims]
        return out


def _join(names) -> str:
    return ", ".join(names)


def check_bounds(b, dim: int) -> None:
    """data.bounds: None, or one [lo, hi] pair of finite numbers with lo < hi per dimension."""
    if b is None:
        return
    lo, hi = DATA["bounds"].lo, DATA["bounds"].hi
    ok = isinstance(b, (list, tuple)) and len(b) == dim and all(
        isinstance(p, (list, tuple)) and len(p) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and lo <= v <= hi
                for v in p)
        and p[0] < p[1] for p in b)
    if not ok:
        example = "[[-1.0, 6.0]]" if dim == 1 else "[[-3.0, 3.0], [-3.0, 3.0]]"
        raise ScenarioError(f"data.bounds: must be one [lo, hi] pair with lo < hi per dimension, within "
                            f"[{lo:g}, {hi:g}], e.g. {example} (got {_short(b)})")


def _short(value, limit: int = 80) -> str:
    """repr(value) cut to `limit` characters, for messages (safe for deeply nested values)."""
    try:
        text = repr(value)
    except RecursionError:
        return "a value nested too deeply"
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _check_run(v, name: str) -> None:
    """seed and steps: integers in the ranges of the settings schema (RUN), as the CLI's --seed and --steps."""
    f = RUN[name]
    if isinstance(v, bool) or not isinstance(v, int) or not f.lo <= v <= f.hi:
        raise ScenarioError(f"{name}: must be {f.describe_range()} (got {_short(v)})")


def _typed(cls, table: dict, prefix: str):
    """Build a settings dataclass from a TOML table, checking names and types."""
    if not isinstance(table, dict):
        raise ScenarioError(f"{prefix}: must be a table of settings")
    kinds = {f.name: type(getattr(cls(), f.name)) for f in fields(cls)}
    values = {}
    for key, v in table.items():
        if key not in kinds:
            raise ScenarioError(f"{prefix}.{key}: unknown setting; {prefix} may set {_join(kinds)}")
        values[key] = _coerce(v, kinds[key], f"{prefix}.{key}")
    return cls(**values)


def _coerce(v, kind: type, name: str):
    if kind is bool:
        if not isinstance(v, bool):
            raise ScenarioError(f"{name}: must be true or false (got {_short(v)})")
        return v
    if kind is int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ScenarioError(f"{name}: must be an integer (got {_short(v)})")
        return v
    if kind is float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ScenarioError(f"{name}: must be a number (got {_short(v)})")
        return float(v)
    if kind is str and not isinstance(v, str):
        raise ScenarioError(f"{name}: must be a string (got {_short(v)})")
    return v


def from_dict(d: dict, source: str = "scenario") -> Scenario:
    if not isinstance(d, dict):
        raise ScenarioError(f"{source}: a scenario must be a TOML table")
    if "exercise" in d:
        raise ScenarioError(EXERCISE_TABLE_GONE)
    for key in d:
        if key not in TOP_KEYS:
            raise ScenarioError(f"{key}: unknown scenario key; expected one of {_join(TOP_KEYS)}")
    data = d.get("data", {})
    if not isinstance(data, dict):
        raise ScenarioError("data: must be a table")
    for key in data:
        if key not in DATA_KEYS:
            raise ScenarioError(f"data.{key}: unknown key; data may set {_join(DATA_KEYS)}")
    if "points" in data:
        for key in DATA_KEYS:
            if key in data and key != "points":
                raise ScenarioError(f"data.{key}: give either fixed points (data.points) or a mixture, not both")
        spec = DataSpec(None, points=data["points"])
    elif "means" in data:
        if "preset" in data:
            raise ScenarioError("data.preset: give either a preset or means, not both")
        spec = DataSpec(None, data["means"], data.get("stds"), data.get("covs"), data.get("weights"),
                        data.get("bounds"))
    else:
        for key in ("stds", "covs", "weights"):
            if key in data:
                raise ScenarioError(f"data.{key}: a custom mixture needs data.means as well")
        spec = DataSpec(data.get("preset", "ring8"), bounds=data.get("bounds"))
        if not isinstance(spec.preset, str):
            raise ScenarioError("data.preset: must be a preset name")
    panels = d.get("panels", [])
    if not isinstance(panels, list) or not all(isinstance(p, dict) for p in panels):
        raise ScenarioError("panels: must be an array of tables ([[panels]])")
    train_kinds = {f.name: type(getattr(TrainSettings(), f.name)) for f in fields(TrainSettings)}
    clean_panels = []
    for i, p in enumerate(panels):
        cp = {}
        for key, v in p.items():
            if key == "label":
                cp[key] = str(v)
            elif key in train_kinds:
                cp[key] = _coerce(v, train_kinds[key], f"panels[{i}].{key}")
            else:
                raise ScenarioError(f"panels[{i}].{key}: unknown setting; a panel may set {_join(TRAIN_FIELDS)}")
        clean_panels.append(cp)
    game = validate_game(d.get("game", {}))
    model = d.get("model", {})
    if not isinstance(model, dict):
        raise ScenarioError("model: must be a table of settings")
    try:
        small = small_model(model)
    except SettingsError as e:
        raise ScenarioError(str(e)) from None
    networks = {k: v for k, v in model.items() if k not in SMALL_MODEL}
    for key, kind in (("name", str), ("description", str), ("device", str), ("view", str)):
        if key in d and not isinstance(d[key], kind):
            raise ScenarioError(f"{key}: must be a string (got {_short(d[key])})")
    sc = Scenario(
        name=d.get("name", "untitled"), description=d.get("description", ""),
        seed=d.get("seed", 0), device=d.get("device", "auto"), steps=d.get("steps", 2000),
        view=d.get("view", ""), data=spec,
        model=_typed(ModelSettings, networks, "model"),
        train=_typed(TrainSettings, d.get("train", {}), "train"),
        panels=tuple(clean_panels), game=game, small_model=small,
    )
    sc = sc.validate()
    from ganviz.core.claims import ClaimError, parse_claims

    if sc.view == "exercise" and d.get("claims"):
        raise ScenarioError("claims: an exercise scenario carries no claims; `ganviz run --explain` shows its "
                            "numbers and the tests check them")
    is_game = sc.view == "game"
    names = list(game.get("methods", [])) if is_game else sc.panel_labels()
    try:
        claims = parse_claims(d.get("claims"), names, is_game)
    except ClaimError as e:
        raise ScenarioError(str(e)) from None
    return replace(sc, claims=claims)


GAME_KEYS = tuple(GAME)


def validate_game(g) -> dict:
    """The [game] table of a game-lab scenario (the bilinear game or the Dirac-GAN), checked
    against the settings schema (`ganviz.core.settings.GAME_SCHEMA`)."""
    if not isinstance(g, dict):
        raise ScenarioError("game: must be a table")
    try:
        return settings_validate_game(g)
    except SettingsError as e:
        raise ScenarioError(str(e)) from None


def loads(text: str, source: str = "scenario") -> Scenario:
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{source}: malformed TOML ({e})") from None
    except RecursionError:
        raise ScenarioError(f"{source}: nested too deeply to be a scenario") from None
    try:
        return from_dict(d, source)
    except RecursionError:
        raise ScenarioError(f"{source}: a value is nested too deeply to be a setting") from None


def builtin_dir() -> Path:
    """The folder of the built-in scenarios (FileNotFoundError when the installation lacks it)."""
    return resource("scenarios")


def builtin_names() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.toml"))


def resolve(name_or_path: str | os.PathLike) -> Path:
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if p.is_dir():
            raise ScenarioError(f"{p}: is a folder; give a scenario file (.toml) or a built-in name")
        if not p.is_file():
            raise ScenarioError(f"{p}: no such scenario file")
        return p
    builtin = builtin_dir() / f"{p.name}.toml"
    if builtin.is_file():
        return builtin
    raise ScenarioError(f"{name_or_path}: neither a scenario file nor a built-in scenario "
                        f"(built-ins: {_join(builtin_names())})")


def load(name_or_path: str | os.PathLike) -> Scenario:
    p = resolve(name_or_path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{p}: cannot be read ({e.__class__.__name__})") from None
    return loads(text, str(p))


def apply_overrides(sc: Scenario, assignments: list[str]) -> Scenario:
    """Apply `key=value` strings (e.g. train.k=5, data.preset=grid25, seed=3); values are TOML literals."""
    d = sc.to_dict()
    for a in assignments:
        if "=" not in a:
            raise ScenarioError(f"--set {a}: expected key=value, e.g. train.k=5")
        key, raw = a.split("=", 1)
        key = key.strip()
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        parts = key.split(".")
        target = d
        for part in parts[:-1]:
            if part not in ("data", "model", "train", "game"):
                raise ScenarioError(f"--set {key}: unknown section {part!r}; use data., model., train. or game.")
            target = target.setdefault(part, {})
        if parts[0] == "data" and parts[-1] in ("means", "stds", "covs", "weights"):
            target.pop("preset", None)
        if parts[0] == "data" and parts[-1] == "preset":
            for k in ("means", "stds", "covs", "weights", "points"):
                target.pop(k, None)
        target[parts[-1]] = value
    return from_dict(d, "--set")


# -- writing ---------------------------------------------------------------------
def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isinf(v) or math.isnan(v):
            raise ScenarioError("a scenario cannot hold NaN or infinite values")
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps(sc: Scenario) -> str:
    d = sc.to_dict()
    lines = []
    for key, v in d.items():
        if not isinstance(v, (dict, list)) or (isinstance(v, list) and v and not isinstance(v[0], dict)):
            lines.append(f"{key} = {_toml_value(v)}")
    for key in ("data", "model", "train", "game"):
        if key in d and d[key]:
            lines.append(f"\n[{key}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in d[key].items())
    for section in ("panels", "claims"):
        for p in d.get(section, []):
            lines.append(f"\n[[{section}]]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in p.items())
    return "\n".join(lines) + "\n"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(sc: Scenario, path: str | os.PathLike) -> None:
    """Write atomically: a temporary file in the same folder, renamed when complete."""
    path = Path(path)
    text = dumps(sc)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ScenarioError(f"{path}: the folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as e:
        raise ScenarioError(f"{path}: cannot write here ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        # mkstemp's file is private (0600); a scenario is a document: the mode a new file gets here
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ScenarioError(f"{path}: could not be written ({e.strerror or e}); nothing was changed") from None
