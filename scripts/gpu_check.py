"""The GPU checks in one go, for a machine with an NVIDIA GPU (a benchmark and a smoke test, not part of CI).

    python scripts/gpu_check.py [--quick] [--skip-tests]
    python scripts/gpu_check.py --rehearse      # every part on the CPU, small: the script works before a GPU is lent

Prints, for the README's performance section:
1. the device, torch and CUDA versions;
2. the test suite with CUDA visible (scenarios on "auto" train on the GPU): passed/failed and its time;
3. `ganviz bench --device cuda` (the trainer against the tutorial loop, on the GPU);
4. 1,000 steps of 64 GANs in lockstep on ring8 (GAN-steps per second, on the GPU and on the CPU);
5. host-to-device and device-to-host copies in one app picture (a Lab snapshot): counted with the
   profiler, with the bytes the picture's arrays hold, so that copies stay what is drawn;
6. an export of ring8 to MP4 on the GPU (frames per second);
7. the PacGAN protocol's iterations timed on the GPU, one run alone and ten in lockstep, and the full
   protocol's hours extrapolated from them (`scripts/bench_lockstep.py runs --device cuda`).
Each part is timed; with --quick the suite stops at the first failure and the lockstep runs 300 steps.
Exit status 1 if a part failed, 2 if there is no CUDA GPU. Device time is short when it is lent: --rehearse
runs the same parts on the CPU with small sizes and without the test suite, so that a broken part is found
here, not on the GPU's clock.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def part(title: str) -> float:
    print(f"\n## {title}", flush=True)
    return time.perf_counter()


def run(cmd: list[str], timeout: float) -> tuple[int, str]:
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return p.returncode, (p.stdout + p.stderr)


def lockstep_rate(device: str, m: int, steps: int) -> float:
    import torch

    from ganviz.core.scenario import load
    from ganviz.core.train import Trainer
    sc = load("ring8")
    tr = Trainer(sc.data.mixture(), sc.model, [sc.train] * m, seed=0, device=device)
    tr.step(20)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    tr.step(steps)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return m * steps / (time.perf_counter() - t0)


def copies_per_picture(device: str) -> None:
    import numpy as np
    from torch.profiler import ProfilerActivity, profile

    from ganviz.core.scenario import load
    from ganviz.engine.lab import Lab
    lab = Lab(load("ring8"), device)
    lab.train(50)
    lab.snapshot()
    lab.train(1)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        lab.evaluate_metrics(slow=False)
        snap = lab.snapshot(running=True)
    counts: dict[str, int] = {}
    for ev in prof.events():
        name = ev.name
        if "Memcpy" in name or name in ("aten::_to_copy", "aten::item", "aten::_local_scalar_dense"):
            counts[name] = counts.get(name, 0) + 1
    drawn = sum(a.nbytes for a in (snap.fake, snap.fake_grad, snap.d_grid, snap.p_g) if a is not None)
    print("events in one picture (metrics and frame):", counts or "none")
    print(f"bytes of the arrays drawn (fakes, their gradients, D grid, p_g): {drawn:,}")
    print("finite:", all(np.isfinite(a).all() for a in (snap.fake, snap.d_grid)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-tests", action="store_true")
    ap.add_argument("--rehearse", action="store_true", help="every part on the CPU, small, without the test suite")
    a = ap.parse_args(argv)
    import torch
    dev = "cpu" if a.rehearse else "cuda"
    if a.rehearse:
        a.quick = a.skip_tests = True
    elif not torch.cuda.is_available():
        print("gpu_check: no CUDA GPU is available here", file=sys.stderr)
        return 2
    failed = []
    t = part("device")
    name = "CPU (a rehearsal)" if a.rehearse else torch.cuda.get_device_name(0)
    print(f"{name}; torch {torch.__version__}, CUDA {torch.version.cuda}; {os.cpu_count()} CPU cores")

    if not a.skip_tests:
        t = part("test suite, CUDA visible")
        env_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + (["-x"] if a.quick else [])
        rc, out = run(env_cmd, 560)
        print(out.strip().splitlines()[-1] if out.strip() else "(no output)")
        print(f"{time.perf_counter() - t:.0f} s")
        if rc:
            failed.append("tests")
            print("\n".join(out.splitlines()[-40:]))

    t = part(f"ganviz bench --device {dev}")
    rc, out = run([sys.executable, "-m", "ganviz", "bench", "--device", dev, "--seconds", "1" if a.quick else "3"],
                  300)
    print(out.strip())
    if rc:
        failed.append("bench")

    steps = 20 if a.rehearse else 300 if a.quick else 1000
    t = part(f"{steps} steps of 64 GANs in lockstep (ring8's model)")
    gpu = lockstep_rate(dev, 64, steps)
    print(f"{dev}: {gpu:,.0f} GAN-steps/s ({time.perf_counter() - t:.1f} s)")
    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    cpu = lockstep_rate("cpu", 64, max(50, steps // 10))
    print(f"cpu ({torch.get_num_threads()} threads): {cpu:,.0f} GAN-steps/s; {dev} is {gpu / cpu:.1f}x")

    t = part("host-device copies in one picture")
    copies_per_picture(dev)

    t = part(f"export ring8 on {dev}")
    with tempfile.TemporaryDirectory() as d:
        out_path = os.path.join(d, "ring8.mp4")
        frames = 10 if a.rehearse else 60 if a.quick else 200
        t0 = time.perf_counter()
        rc, out = run([sys.executable, "-m", "ganviz", "export", "ring8", "-o", out_path, "--frames", str(frames),
                       "--device", dev], 300)
        dt = time.perf_counter() - t0
        ok = rc == 0 and os.path.exists(out_path)
        print(f"{frames} frames in {dt:.1f} s ({frames / dt:.1f} frames/s), "
              f"{os.path.getsize(out_path) if ok else 0:,} bytes" if ok else out[-2000:])
        if not ok:
            failed.append("export")

    t = part(f"PacGAN protocol on {dev} (timed iterations, full protocol extrapolated)")
    rc, out = run([sys.executable, os.path.join("scripts", "bench_lockstep.py"), "runs", "--device", dev,
                   "--steps", "1" if a.rehearse else "10" if a.quick else "40"]
                  + (["--runs", "2", "--arms", "pac2", "--data", "grid25"] if a.rehearse else []), 500)
    print(out.strip())
    if rc:
        failed.append("pacgan")

    print("\n## summary:", "all parts passed" if not failed else f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
