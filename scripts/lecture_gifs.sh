#!/usr/bin/env bash
# The README's lecture animations: one export per built-in lecture scenario (seeded: rerunning gives the same frames).
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/lecture
mkdir -p "$out"
run() { ganviz export "$@" --fps 20 --size 560x350; }
run goodfellow-fig1             -o $out/goodfellow-fig1.gif   --frames 80 --steps-per-frame 100
run saturating-vs-nonsaturating -o $out/saturating-vs-ns.gif  --frames 60 --steps-per-frame 25
run k1-vs-k5                    -o $out/k1-vs-k5.gif          --frames 60 --steps-per-frame 50
run ring8                       -o $out/ring8-collapse.gif    --frames 60 --steps-per-frame 100
run ring8-unrolled              -o $out/ring8-unrolled.gif    --frames 60 --steps-per-frame 100
run minibatch-features-ring8    -o $out/minibatch-features.gif --frames 60 --steps-per-frame 100
run consensus-ring8             -o $out/consensus-ring8.gif   --frames 60 --steps-per-frame 100
run label-smoothing-dstar       -o $out/label-smoothing.gif   --frames 40 --steps-per-frame 75
run instance-noise-disjoint     -o $out/instance-noise.gif    --frames 60 --steps-per-frame 25
run wgan-vs-gan-disjoint        -o $out/wgan-vs-gan.gif       --frames 60 --steps-per-frame 40
run conditional-ring8           -o $out/conditional-ring8.png --until-step 2000
run bilinear-methods            -o $out/bilinear-methods.gif  --frames 50
run dirac-gan                   -o $out/dirac-gan.gif         --frames 50
run dirac-gan-r1                -o $out/dirac-gan-r1.gif      --frames 50
