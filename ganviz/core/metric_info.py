"""The metric registry: what each number on the charts is called and how it is estimated.

One home for the metrics' names, labels and descriptions, read by the metric charts,
the info panel, `ganviz run`, `ganviz measure` and the README. Plain Python (no numpy,
no torch, no Qt), so that every layer may import it.

The descriptions state the estimator and its accuracy on the reference cases of
`ganviz.core.reference_cases` (`ganviz measure --reference` reruns them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

SE_SUFFIX = "_se"


@dataclass(frozen=True)
class MetricInfo:
    key: str
    label: str            # plain text, for the CLI and tooltips
    html: str             # rich text, for legends
    description: str      # the estimator, and its error on the reference cases
    estimated: bool = True  # carries a standard error (KEY + SE_SUFFIX)

    def label_for(self, dim: int) -> str:
        return "sliced W1" if self.key == "w1" and dim == 2 else self.label

    def html_for(self, dim: int) -> str:
        return "sliced W<sub>1</sub>" if self.key == "w1" and dim == 2 else self.html


_KNN = ("from 20,000 G samples against a fixed sample of 20,000 from the exact p_data: log(p_g / p_data) at "
        "both from the 20 nearest G samples, with the exact p_data mass of the same ball where the two are "
        "close (unbiased at p_g = p_data). ± is a batch-means standard error over 10 blocks.")

METRICS: dict[str, MetricInfo] = {
    m.key: m
    for m in [
        MetricInfo("js", "JS", "JS",
                   "Jensen-Shannon divergence in nats (at most log 2) " + _KNN +
                   " On the reference cases (ring8, grid25 and 1D Gaussians at 20,000 samples) within 0.01 "
                   "or 5 % of the Monte-Carlo truth. Exactly log 2 where G's latent space has fewer dimensions "
                   "than the data."),
        MetricInfo("kl_data_g", "KL(p_data||p_g)", "KL(p<sub>data</sub>\u2016p<sub>g</sub>)",
                   "Forward KL (mode-covering) in nats " + _KNN +
                   " Where more than 0.5 % of p_data lies beyond every G sample's reach it is a lower bound "
                   "(shown as ≥; the missed mass beside it), and inf where p_g's support is bounded (a "
                   "uniform prior) or singular. Otherwise within 0.01 or 5 % on the reference cases."),
        MetricInfo("kl_g_data", "KL(p_g||p_data)", "KL(p<sub>g</sub>\u2016p<sub>data</sub>)",
                   "Reverse KL (mode-seeking) in nats " + _KNN +
                   " inf where G puts samples on single points or its latent space has fewer dimensions than "
                   "the data. Within 0.01 or 5 % on the reference cases, up to its ± (which grows with G's "
                   "spread beyond the data)."),
        MetricInfo("missed", "missed p_data", "missed p<sub>data</sub>",
                   "The fraction of p_data samples farther from every G sample than that sample's distance to "
                   "its 20th nearest G neighbour: p_data mass that p_g's samples do not reach. Below 0.1 % "
                   "for a perfect G at 20,000 samples."),
        MetricInfo("w1", "W1", "W<sub>1</sub>",
                   "Wasserstein-1 distance. 1D: exact, the integral of |F_emp - F_data| against the mixture's "
                   "exact CDF (20,000 samples). 2D: the sliced W1, the mean over 16 directions of the exact 1D "
                   "W1 between the projected G samples and the exactly projected mixture; at most W1, and 2/pi "
                   "of W1 for a shift. A perfect G reads about 0.01 on ring8 and 0.02 on grid25 (the value "
                   "for this data is in the tooltip of the chart)."),
        MetricInfo("modes", "modes", "modes",
                   "Modes captured (VEEGAN / PacGAN): on 2,500 samples, a mode counts when it is the nearest "
                   "mode of at least one sample within 3 standard deviations of it. ± is the spread of the same "
                   "count over 7 more disjoint sets of 2,500."),
        MetricInfo("hq_frac", "high quality", "high quality",
                   "Fraction of 2,500 samples within 3 standard deviations of their nearest mode (98.9 % for "
                   "samples of an isotropic 2D Gaussian itself, 99.7 % in 1D). ± as for modes."),
        MetricInfo("rkl_modes", "rev KL (modes)", "rev KL (modes)",
                   "KL(q || w) between the share q of high-quality samples per mode and the mixture weights w "
                   "(PacGAN's reverse KL over modes). ± as for modes."),
        MetricInfo("d_gap", "RMS D - D*", "RMS D \u2212 D<sup>*</sup>",
                   "How far D is from the optimum of its own loss (with its label smoothing and instance noise): "
                   "the root-mean-square of D(x) - D*(x) over (p_data + p_g) / 2, in probability units for the "
                   "cross-entropy and least-squares losses and in critic units for hinge. D* comes from the k-NN "
                   "log-ratio at 5,000 samples of each side, and the mean square subtracts that estimate's own "
                   "noise, so an optimal D reads 0.00-0.02 on the reference cases and a D off by 0.05 reads "
                   "0.048-0.051 (hinge's sign(p_data - p_g) keeps a floor of about 0.05 from that noise). None for "
                   "Wasserstein critics (no pointwise optimum) or a D that judges packs."),
        MetricInfo("d_real", "D(real)", "D(real)", "Mean D on 2,500 data samples, in display units.", False),
        MetricInfo("d_fake", "D(fake)", "D(fake)", "Mean D on 2,500 G samples, in display units.", False),
        MetricInfo("d_acc", "D accuracy", "D accuracy",
                   "D's accuracy on real and fake samples (the mean of the two), judged at the output where D "
                   "says p_data = p_g: real if D > 1/2 (logit > 0; LSGAN's score > 0, a hinge critic's > 0), an "
                   "f-GAN's T > f'(1), an EBGAN energy < m/2; a Wasserstein critic, whose constant is free, above "
                   "the midpoint of its mean real and mean fake scores.", False),
        MetricInfo("d_loss", "D loss", "D", "D's loss on its last batch.", False),
        MetricInfo("g_loss", "G loss", "G", "G's loss on its last batch.", False),
        MetricInfo("grad_norm_d", "|grad D|", "\u2016\u2207D\u2016", "Norm of D's last gradient.", False),
        MetricInfo("grad_norm_g", "|grad G|", "\u2016\u2207G\u2016", "Norm of G's last gradient.", False),
    ]
}

ESTIMATED = tuple(k for k, m in METRICS.items() if m.estimated)
SE_KEYS = tuple(k + SE_SUFFIX for k in ESTIMATED)
# 1 where KL(p_data || p_g) is a lower bound (p_data mass beyond G's samples), else 0.
LOWER_FLAG = "kl_data_g_lower"
HISTORY_KEYS = tuple(METRICS) + SE_KEYS + (LOWER_FLAG,)
# The costly k-NN estimates (a few hundred ms per GAN) are evaluated less often than the rest
# (the pictures of p_g and D*, modes, D's outputs, losses): they have a history of their own.
SLOW = ("js", "kl_data_g", "kl_g_data", "missed", "w1", "d_gap")
SLOW_KEYS = SLOW + tuple(k + SE_SUFFIX for k in SLOW) + (LOWER_FLAG,)
FAST_KEYS = tuple(k for k in HISTORY_KEYS if k not in SLOW_KEYS)


def format_value(value: float, se: float = math.nan, lower: bool = False, exact: bool = False,
                 digits: int = 3) -> str:
    """A metric as it is printed and shown: '0.123 ± 0.004', '≥ 4.85', 'inf', '–' where undefined."""
    if value is None or math.isnan(value):
        return "\u2013"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    v = f"{value:.{digits}g}"
    if lower:
        return f"\u2265 {v}"
    if exact or se is None or not math.isfinite(se):
        return v
    return f"{v} \u00b1 {se:.2g}"
