"""A trainer's state as flat numpy arrays and back: what a recording's checkpoints hold.

`Trainer.state_dict()` nests tensors in dicts and lists (optimiser state, the random streams of
every run); a checkpoint is a flat mapping "opt_d/m" -> array, "gens/0" -> array, which a .npz
holds without pickle. Torch-bound; `ganviz.engine.recording` stores the arrays torch-free.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch


def to_arrays(state: dict, prefix: str = "") -> dict[str, np.ndarray]:
    """Flatten a state dict: nested dicts and lists become "a/b" and "a/0" keys, tensors numpy arrays."""
    out: dict[str, np.ndarray] = {}
    for key, value in state.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(to_arrays(value, f"{name}/"))
        elif isinstance(value, (list, tuple)):
            out.update(to_arrays({str(i): v for i, v in enumerate(value)}, f"{name}/"))
            out[f"{name}/#"] = np.array(len(value), dtype=np.int64)     # an empty list stays a list
        elif isinstance(value, torch.Tensor):
            out[name] = value.detach().cpu().numpy().copy()
        else:
            out[name] = np.asarray(value)
    return out


def from_arrays(arrays: dict[str, np.ndarray], device: Any = "cpu") -> dict:
    """The state dict `to_arrays` flattened: tensors on `device` (random-stream states stay on the CPU, as
    torch.Generator.set_state wants them), Python ints for scalars of integer type."""
    tree: dict = {}
    lists: set = set()
    for name, a in arrays.items():
        parts = name.split("/")
        if parts[-1] == "#":
            lists.add("/".join(parts[:-1]))
            node = tree
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            continue
        node = tree
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = a

    def build(node: Any, path: str, stream: bool) -> Any:
        if isinstance(node, dict):
            kids = {k: build(v, f"{path}/{k}" if path else k, stream or k in ("gen", "noise_gen", "gens",
                                                                               "noise_gens"))
                    for k, v in node.items()}
            if path in lists:
                return [kids[str(i)] for i in range(len(kids))]
            return kids
        a = np.asarray(node)
        if a.ndim == 0 and a.dtype.kind in "iu":
            return int(a)
        t = torch.from_numpy(np.array(a, copy=True))
        return t if stream else t.to(device)

    return build(tree, "", False)
