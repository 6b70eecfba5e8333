"""Batched MLPs: M independent networks stacked on a leading axis, trained in lockstep.

All weights of the M networks live in one flat (M, P) tensor; the layers are views
into it. One matrix product per layer serves all M networks (torch.baddbmm), and
an optimizer updates every weight with a handful of whole-tensor operations. At
the sizes of toy GANs the cost is per-operation overhead, not arithmetic, so this
is what makes ganviz faster than a tutorial loop, and M = 1 is simply the plain
case of the same code.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F

Tensor = torch.Tensor

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": torch.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "tanh": torch.tanh,
}
ACTIVATIONS_INPLACE: dict[str, Callable[[Tensor], Tensor]] = {    # on a fresh pre-activation (forward_cached)
    "relu": torch.relu_,
    "leaky_relu": lambda x: F.leaky_relu_(x, 0.2),
    "tanh": torch.tanh_,
}


@dataclass(frozen=True)
class Layout:
    in_dim: int
    out_dim: int
    hidden: int
    layers: int              # number of hidden layers
    extra_last: int = 0      # extra inputs to the last layer (the minibatch-std feature)
    pieces: int = 1          # > 1: each hidden unit is a maxout unit over this many linear pieces
    batchnorm: bool = False  # batch normalisation of each hidden layer before its activation, in place of its bias
    # Hidden widths layer by layer, in place of `hidden` x `layers` (an autoencoder's bottleneck); no maxout.
    widths: tuple[int, ...] = ()
    # An autoencoder: the output reconstructs the first `out_dim` inputs and the network returns the mean
    # squared reconstruction error per sample, an energy >= 0 (EBGAN's discriminator, Zhao et al. 2017).
    autoencoder: bool = False
    # Minibatch discrimination (Salimans et al. 2016): a tensor T (last hidden width, md_kernels, md_dims)
    # after the other weights; its md_kernels features enter the last layer at extra inputs 1 .. md_kernels
    # (input 0 is the minibatch-std feature), so extra_last must count them.
    md_kernels: int = 0
    md_dims: int = 5

    def hidden_widths(self) -> tuple[int, ...]:
        return self.widths if self.widths else (self.hidden,) * self.layers

    def shapes(self) -> list[tuple[int, int]]:
        """(inputs, outputs) of each linear layer; a maxout layer has `pieces` outputs per unit."""
        widths = self.hidden_widths()
        dims = [self.in_dim, *widths]
        shapes = [(dims[i], widths[i] * self.pieces) for i in range(len(widths))]
        shapes.append((dims[-1] + self.extra_last, self.out_dim))
        return shapes

    def norm_size(self) -> int:
        """Batch norm's scale and shift, after all linear weights in the flat tensor."""
        return 2 * self.hidden * self.layers if self.batchnorm else 0

    @property
    def last_width(self) -> int:
        """The width of the last hidden layer (the inputs without hidden layers)."""
        widths = self.hidden_widths()
        return widths[-1] if widths else self.in_dim

    def md_size(self) -> int:
        """Minibatch discrimination's tensor T, after batch norm's parameters."""
        return self.last_width * self.md_kernels * self.md_dims

    def size(self) -> int:
        return sum(i * o + o for i, o in self.shapes()) + self.norm_size() + self.md_size()


# d act / d pre, applied to an incoming gradient: (grad, pre-activation, activation output) -> grad.
# These are the kernels autograd itself calls; calling them directly skips the autograd engine. They write
# into the incoming gradient (a fresh product in `backward_cached`), and they read only the sign of the
# pre-activation, which ReLU and leaky ReLU keep: `forward_cached` activates in place and passes the output
# for both (no second (M, N, width) tensor a layer; with the gradient in place, M = 6 GANs of width 32 in
# lockstep train 13 % faster, `ganviz bench`).
ACTIVATION_GRADS: dict[str, Callable[[Tensor, Tensor, Tensor], Tensor]] = {
    "relu": lambda g, pre, out: torch.ops.aten.threshold_backward.grad_input(g, pre, 0.0, grad_input=g),
    "leaky_relu": lambda g, pre, out: torch.ops.aten.leaky_relu_backward.grad_input(g, pre, 0.2, False, grad_input=g),
    "tanh": lambda g, pre, out: torch.ops.aten.tanh_backward.grad_input(g, out, grad_input=g),
}


BN_EPS = 1e-5


def batch_norm(h: Tensor, scale: Tensor, shift: Tensor, ref_rows: int | None = None) -> Tensor:
    """Batch normalisation (Ioffe & Szegedy 2015) of h (M, N, C), each network over its own batch.

    Always with the statistics of the batch at hand (training mode), in evaluation too: there are no
    running averages, because a GAN toy draws thousands of samples at once and averages would only
    lag behind a moving G. `ref_rows` (for evaluation): the statistics of the first rows only, held
    fixed (no gradient through them).
    """
    m, n, c = h.shape
    # torch's fused kernel normalises the rows of (N, C); the M networks side by side are M * C channels.
    # It is several times cheaper than the same formula in separate operations, backward included.
    x = h.squeeze(0) if m == 1 else h.transpose(0, 1).reshape(n, m * c)
    if ref_rows is None:
        y = F.batch_norm(x, None, None, scale.reshape(-1), shift.reshape(-1), training=True, eps=BN_EPS)
    else:
        var, mean = torch.var_mean(x[:ref_rows].detach(), dim=0, correction=0)
        y = F.batch_norm(x, mean, var, scale.reshape(-1), shift.reshape(-1), training=False, eps=BN_EPS)
    return y.unsqueeze(0) if m == 1 else y.view(n, m, c).transpose(0, 1)


def virtual_batch_norm(h: Tensor, ref: Tensor, scale: Tensor, shift: Tensor) -> tuple[Tensor, Tensor]:
    """Virtual batch normalisation (Salimans et al. 2016, Sec. 3.4) of h (M, N, C) against a reference batch's
    pre-activations ref (M, R, C): each sample x_i is normalised with the mean and mean square of the reference
    batch and x_i itself, weighted R/(R + 1) and 1/(R + 1) (as in the paper's code), so that no sample depends on
    the other samples of its batch. Returns (h normalised, the reference batch normalised with its own
    statistics, which is what the next layer's reference is). Gradients flow through the reference's statistics.
    """
    r = ref.shape[1]
    mu_r = ref.mean(dim=1, keepdim=True)
    sq_r = (ref * ref).mean(dim=1, keepdim=True)
    c = 1.0 / (r + 1)
    mu = c * h + (1.0 - c) * mu_r
    var = (c * h * h + (1.0 - c) * sq_r - mu * mu).clamp_min(0.0)
    out = (h - mu) * torch.rsqrt(var + BN_EPS) * scale + shift
    ref_out = (ref - mu_r) * torch.rsqrt((sq_r - mu_r * mu_r).clamp_min(0.0) + BN_EPS) * scale + shift
    return out, ref_out


def _linear(h: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """h (M, N, in) @ w (M, in, out) + b (M, 1, out)."""
    if h.shape[0] == 1:
        # One network: addmm and its backward are several times cheaper than their batched forms.
        # (squeeze/unsqueeze are views with free backward passes; indexing [0] would allocate in backward)
        return torch.addmm(b.squeeze(0), h.squeeze(0), w.squeeze(0)).unsqueeze(0)
    if _narrow(h, w):
        return _bmm_narrow(h, w) + b
    return torch.baddbmm(b, h, w)


def _narrow(a: Tensor, b: Tensor) -> bool:
    # On the CPU, bmm is several times slower when the product has few columns (D's single output, G's
    # two) or a contraction of 1 than the same product taken the other way round: (6, 512, 32) @ (6, 32, 1)
    # takes 83 us, (w^T h^T)^T 26 us; on a 96 x 96 grid 1,470 against 390 us.
    # (The shapes first: most products are not narrow, and a tensor's device costs more to look at; a
    # lockstep step asks this some thirty times.)
    return (b.shape[2] <= 8 or b.shape[1] == 1) and a.device.type == "cpu"


def _bmm(a: Tensor, b: Tensor) -> Tensor:
    """a (M, N, K) @ b (M, K, O) for M networks, the narrow cases reorganised (see `_narrow`)."""
    return _bmm_narrow(a, b) if _narrow(a, b) else torch.bmm(a, b)


def _bmm_narrow(a: Tensor, b: Tensor) -> Tensor:
    if b.shape[1] == 1:
        return a * b                    # K = 1: an outer product per network
    return torch.bmm(b.transpose(1, 2), a.transpose(1, 2)).transpose(1, 2)


class BatchedMLP:
    """M MLPs with identical layout; weights in `self.flat` (M, P), a leaf tensor.

    The linear layers' weights and biases come first in `flat`, batch norm's scales and shifts (if
    any) after them, so that a layout without batch norm is laid out and initialised as it always was.
    """

    def __init__(self, m: int, layout: Layout, activation: str, device: torch.device,
                 gen: torch.Generator | Sequence[torch.Generator], shared_init: bool = True, dtype=torch.float32,
                 init_std: float = 0.0):
        if activation not in ACTIVATIONS:
            raise ValueError(f"model.activation: unknown activation {activation!r}; choose one of "
                             f"{', '.join(ACTIVATIONS)}")
        self.m = m
        self.layout = layout
        self.act = ACTIVATIONS[activation]
        self.act_grad = ACTIVATION_GRADS[activation]
        self.act_ = ACTIVATIONS_INPLACE[activation]
        self.device = device
        self._slices = []
        off = 0
        for i, o in layout.shapes():
            self._slices.append((off, i, o))
            off += i * o + o
        self._norm_start = off
        self._md_start = off + layout.norm_size()
        # EBGAN's plain energy head: softplus of the raw output for these networks ((M, 1, 1) bool, set by the
        # trainer from the losses; None: no head). Part of the network, so that every pass reads an energy.
        self.head: Optional[Tensor] = None
        # Storage for all weights; the layers' tensors are views into it and are the autograd leaves,
        # so that backward writes one small gradient per layer (a slice of a leaf would allocate and
        # sum a full-size gradient per layer), while the optimizer updates `flat` in a few ops.
        self.flat = self._init(gen, shared_init, dtype, init_std)
        self.params = []
        for w, b in self._views(self.flat):
            self.params += [w.requires_grad_(True), b.requires_grad_(True)]
        for scale, shift in self._norm_views(self.flat):
            self.params += [scale.requires_grad_(True), shift.requires_grad_(True)]
        self._n_lin = 2 * len(self._slices)
        self._n_norm = len(self.params) - self._n_lin
        if layout.md_kernels:
            self.params.append(self._md_view(self.flat).requires_grad_(True))
        # Power-iteration vectors for spectral normalisation, one per layer and network. A fixed start
        # (no random draw) keeps the random stream independent of M.
        self._sn_u = [torch.full((m, o), o ** -0.5, device=device, dtype=dtype) for _, _, o in self._slices]
        if m == 1:
            self._plain2d = self._plain_views(self.flat)
            # The gradient of the one network is written in place into this buffer (rows of the extra last
            # inputs stay zero): no per-step concatenation. It is overwritten by the next backward pass.
            self._grad = torch.zeros_like(self.flat)
            self._grad2d = self._plain_views(self._grad)

    def _plain_views(self, flat: Tensor) -> list[tuple[Tensor, Tensor]]:
        """2D views (in, out) and (out,) of network 0's layers, without the extra last inputs."""
        out = []
        last = len(self._slices) - 1
        for li, (off, i, o) in enumerate(self._slices):
            w = flat[0, off:off + i * o].view(i, o)
            if li == last and self.layout.extra_last:
                w = w[:i - self.layout.extra_last]
            out.append((w, flat[0, off + i * o:off + i * o + o]))
        return out

    def _init(self, gen: torch.Generator | Sequence[torch.Generator], shared: bool, dtype,
              init_std: float = 0.0) -> Tensor:
        # PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases; or, with
        # init_std > 0, weights N(0, init_std^2) and zero biases (the DCGAN / PacGAN convention).
        # A sequence of generators: independent runs, each drawing its own block of m / len(gen) networks
        # (shared within the block when `shared`), exactly as that block alone would be drawn.
        if not isinstance(gen, torch.Generator):
            gens = list(gen)
            per = self.m // len(gens)
            return torch.cat([self._init_block(g, per, shared, dtype, init_std) for g in gens])
        return self._init_block(gen, self.m, shared, dtype, init_std)

    def _init_block(self, gen: torch.Generator, m: int, shared: bool, dtype, init_std: float) -> Tensor:
        rows = 1 if shared else m
        parts = []
        for _, i, o in self._slices:
            if init_std > 0:
                w = torch.randn(rows, i * o, device=self.device, generator=gen, dtype=dtype) * init_std
                parts.append(torch.cat([w, torch.zeros(rows, o, device=self.device, dtype=dtype)], dim=1))
                continue
            bound = 1.0 / math.sqrt(i)
            w = torch.rand(rows, i * o + o, device=self.device, generator=gen, dtype=dtype)
            parts.append((w * 2 - 1) * bound)
        if self.layout.batchnorm:
            # Scale 1 and shift 0 (the identity on normalised features); no random draw, so the linear
            # layers get the same numbers with and without batch norm.
            h = self.layout.hidden
            ones = torch.ones(rows, h, device=self.device, dtype=dtype)
            parts.append(torch.cat([ones, torch.zeros_like(ones)], dim=1).repeat(1, self.layout.layers))
        if self.layout.md_kernels:
            # T ~ N(0, 0.05^2) as in Salimans et al.'s code; drawn last, so the layers get the numbers they get
            # without it.
            parts.append(torch.randn(rows, self.layout.md_size(), device=self.device, generator=gen, dtype=dtype)
                         * 0.05)
        flat = torch.cat(parts, dim=1)
        return flat.expand(m, -1).clone() if shared else flat

    @property
    def n_layers(self) -> int:
        return len(self._slices)

    def weights(self, flat: Optional[Tensor] = None) -> list[tuple[Tensor, Tensor]]:
        """(weight, bias) of each linear layer."""
        if flat is None:
            n = self._n_lin
            return list(zip(self.params[:n:2], self.params[1:n:2]))
        return self._views(flat)

    def norms(self, flat: Tensor | None = None) -> list[tuple[Tensor, Tensor]]:
        """Batch norm's (scale, shift), each (M, 1, hidden), of each hidden layer; empty without batch norm."""
        if flat is None:
            n, k = self._n_lin, self._n_norm
            return list(zip(self.params[n:n + k:2], self.params[n + 1:n + k:2]))
        return self._norm_views(flat)

    def _md_view(self, flat: Tensor) -> Tensor:
        """Minibatch discrimination's T as (M, last width, kernels * dims)."""
        lay = self.layout
        return flat[:, self._md_start:self._md_start + lay.md_size()].view(
            flat.shape[0], lay.last_width, lay.md_kernels * lay.md_dims)

    def md_tensor(self, flat: Optional[Tensor] = None) -> Tensor:
        return self.params[-1] if flat is None else self._md_view(flat)

    def _views(self, flat: Tensor) -> list[tuple[Tensor, Tensor]]:
        out = []
        m = flat.shape[0]       # all M networks, or the rows of some of them (`forward`'s rows)
        for off, i, o in self._slices:
            w = flat[:, off:off + i * o].view(m, i, o)
            b = flat[:, off + i * o:off + i * o + o].view(m, 1, o)
            out.append((w, b))
        return out

    def _norm_views(self, flat: Tensor) -> list[tuple[Tensor, Tensor]]:
        if not self.layout.batchnorm:
            return []
        h = self.layout.hidden
        out = []
        for li in range(self.layout.layers):
            off = self._norm_start + 2 * h * li
            m = flat.shape[0]
            out.append((flat[:, off:off + h].view(m, 1, h), flat[:, off + h:off + 2 * h].view(m, 1, h)))
        return out

    def _sn_scale(self, layer: int, w: Tensor, update: bool, rows: Tensor | None = None) -> Tensor:
        """Estimated largest singular value of w (M, in, out) per network: (M, 1, 1)."""
        with torch.no_grad():
            u = self._sn_u[layer] if rows is None else self._sn_u[layer].index_select(0, rows)
            if update and rows is not None:
                raise ValueError("spectral norm's vectors are updated for all networks at once, not for some rows")
            v = F.normalize(torch.bmm(w, u.unsqueeze(2)).squeeze(2), dim=1)        # (M, in)
            u_new = F.normalize(torch.bmm(v.unsqueeze(1), w).squeeze(1), dim=1)    # (M, out)
            if update:
                self._sn_u[layer] = u_new
        # sigma = v^T W u, differentiable in W as in Miyato et al. 2018.
        sigma = torch.bmm(torch.bmm(v.unsqueeze(1), w), u_new.unsqueeze(2))
        return sigma.clamp_min(1e-8)

    def _sn_weight(self, layer: int, w: Tensor, sn: Tensor | None, update: bool, rows: Tensor | None = None) -> Tensor:
        return w if sn is None else torch.where(sn, w / self._sn_scale(layer, w, update, rows), w)

    def rows(self, idx: Tensor) -> Tensor:
        """The flat weights (len(idx), P) of some of the networks, differentiable in `params`: a forward
        pass of only those networks (`forward(flat=..., rows=idx)`) puts its gradient into their rows."""
        k = idx.shape[0]
        return torch.cat([p.index_select(0, idx).reshape(k, -1) for p in self.params], dim=1)

    def forward(self, x: Tensor, flat: Optional[Tensor] = None, sn: Optional[Tensor] = None,
                sn_update: bool = False, mbstd: Optional[Tensor] = None, groups: int = 1,
                mbstd_value: Optional[Tensor] = None, norm_ref: int | None = None,
                rows: Optional[Tensor] = None, md: Optional[Tensor] = None,
                md_ref: Optional[Tensor] = None, vbn_ref: Optional[Tensor] = None,
                md_idx: Optional[Tensor] = None) -> Tensor:
        """x (M, N, in) -> (M, N, out), or (M, N, 1) reconstruction errors for an autoencoder.

        rows: `flat` holds these networks only (x, sn, mbstd, mbstd_value, md and md_ref then have their rows
        too), so that a term only some networks use (a gradient penalty, unrolling) costs only them.

        sn (M, 1, 1) bool: divide each layer by its spectral norm for those networks.
        mbstd (M, 1, 1) float 0/1: append the minibatch standard deviation feature
        (Karras et al. 2018) to the last hidden layer, computed separately for each of
        `groups` equal consecutive chunks of the batch (real and fake are never mixed),
        or taken from `mbstd_value` (M, 1, 1) when given (for evaluation on a grid).
        md (M, 1, 1) float 0/1: append the minibatch discrimination features (`md_features`), within each
        of `groups` chunks, or, for points that are no batch (a grid), against the batch `md_ref` (M, R, in).
        norm_ref: batch norm takes its statistics from the first `norm_ref` rows of x only.
        vbn_ref (M, R, in): virtual batch norm in place of batch norm, against this reference batch of inputs.
        md_idx: the networks whose md is on (None: all), so that the O(N^2) features cost only them.
        """
        ws = self.weights(flat)
        norms = self.norms(flat)
        h = self._hidden(x, ws, norms, sn, sn_update, norm_ref, rows, vbn_ref)
        last = len(ws) - 1
        w, b = ws[last]
        w = self._sn_weight(last, w, sn, sn_update, rows)
        if not self.layout.extra_last:
            out = _linear(h, w, b)
        else:
            hid = h.shape[2]
            out = _linear(h, w[:, :hid], b)
            if mbstd is not None:
                feat = mbstd_value if mbstd_value is not None else self.minibatch_std(h, groups)
                out = out + (mbstd * feat) * w[:, hid:hid + 1]
            if md is not None:
                t = self.md_tensor(flat)
                hs, ts = h, t
                if md_idx is not None:
                    hs, ts = h.index_select(0, md_idx), t.index_select(0, md_idx)
                if md_ref is None:
                    feat = self.md_features(hs, ts, groups)
                else:
                    h_ref = self._hidden(md_ref, ws, norms, sn, False, None, rows)
                    if md_idx is not None:
                        h_ref = h_ref.index_select(0, md_idx)
                    feat = self.md_features_against(hs, h_ref, ts)
                if md_idx is not None:
                    feat = feat.new_zeros(h.shape[0], h.shape[1], feat.shape[2]).index_copy(0, md_idx, feat)
                k = self.layout.md_kernels
                out = out + _bmm(md * feat, w[:, hid + 1:hid + 1 + k])
        return self._output(out, x, rows)

    def _output(self, out: Tensor, x: Tensor, rows: Optional[Tensor] = None) -> Tensor:
        """The network's output from the last layer's: an autoencoder's reconstruction error, or the energy
        head's softplus for the networks that have one."""
        if self.layout.autoencoder:
            return ((out - x[..., :out.shape[2]]) ** 2).mean(dim=2, keepdim=True)
        if self.head is None:
            return out
        head = self.head if rows is None else self.head.index_select(0, rows)
        return torch.where(head, F.softplus(out), out)

    def md_features(self, h: Tensor, t: Tensor, groups: int) -> Tensor:
        """Minibatch discrimination (Salimans et al. 2016, Sec. 3.2): M_i = h_i T, a matrix of `md_kernels`
        rows of `md_dims`; c_b(x_i, x_j) = exp(-||M_i,b - M_j,b||_L1); o(x_i)_b = mean over the other samples
        j of the same group of c_b(x_i, x_j). (M, N, kernels), each of `groups` chunks of the batch apart.

        The mean, where the paper sums: the feature then lies in [0, 1] whatever the batch size (a scale D's
        next layer absorbs), and a collapsed batch, whose samples all look alike, reads near 1.
        """
        m, n, _ = h.shape
        k, c = self.layout.md_kernels, self.layout.md_dims
        per = n // groups
        mx = _bmm(h, t).view(m, groups, per, k, c).permute(0, 1, 3, 2, 4).reshape(m * groups * k, per, c)
        near = torch.exp(-torch.cdist(mx, mx, p=1)).sum(dim=2) - 1.0      # without c_b(x_i, x_i) = 1
        o = near / max(per - 1, 1)
        return o.view(m, groups, k, per).permute(0, 1, 3, 2).reshape(m, n, k)

    def md_features_against(self, h: Tensor, h_ref: Tensor, t: Tensor, chunk: int = 2048) -> Tensor:
        """`md_features` of points that are no batch (a grid): each against the reference batch h_ref (M, R, hidden),
        o(x)_b = mean over the R reference samples of c_b(x, x_j), as if x took one sample's place in it."""
        m, n, _ = h.shape
        k, c = self.layout.md_kernels, self.layout.md_dims
        r = h_ref.shape[1]
        mr = _bmm(h_ref, t).view(m, r, k, c).transpose(1, 2).reshape(m * k, r, c)
        parts = []
        for lo in range(0, n, chunk):       # a grid of 9,216 points against 256 would be 19M distances a kernel
            hx = h[:, lo:lo + chunk]
            q = hx.shape[1]
            mx = _bmm(hx, t).view(m, q, k, c).transpose(1, 2).reshape(m * k, q, c)
            o = torch.exp(-torch.cdist(mx, mr, p=1)).mean(dim=2)
            parts.append(o.view(m, k, q).transpose(1, 2))
        return torch.cat(parts, dim=1)

    def features(self, x: Tensor, sn: Tensor | None = None) -> Tensor:
        """The last hidden layer's output (M, N, hidden), or x without hidden layers."""
        return self._hidden(x, self.weights(), self.norms(), sn, False, None)

    def _hidden(self, x: Tensor, ws: list, norms: list, sn: Tensor | None, sn_update: bool,
                norm_ref: int | None, rows: Tensor | None = None, vbn_ref: Tensor | None = None) -> Tensor:
        h, ref = x, vbn_ref
        for li, (w, b) in enumerate(ws[:-1]):
            w = self._sn_weight(li, w, sn, sn_update, rows)
            if norms and ref is not None:
                h, ref = virtual_batch_norm(torch.matmul(h, w), torch.matmul(ref, w), *norms[li])
                ref = self._activate(ref)
            elif norms:
                # Batch norm would cancel the bias, and its shift does the bias's job: the bias is left out
                # (its gradient is 0), else Adam would push it around on the rounding noise of a zero gradient.
                h = batch_norm(torch.matmul(h, w), *norms[li], norm_ref)
            else:
                h = _linear(h, w, b)
            h = self._activate(h)
        return h

    def _activate(self, pre: Tensor) -> Tensor:
        """The activation, or maxout (Goodfellow et al. 2013): the max over each unit's consecutive pieces."""
        if self.layout.pieces == 1:
            return self.act(pre)
        return pre.unflatten(2, (self.layout.hidden, self.layout.pieces)).max(dim=3).values

    @staticmethod
    def minibatch_std(h: Tensor, groups: int) -> Tensor:
        m, n, c = h.shape
        g = h.view(m, groups, n // groups, c)
        # sqrt(var + eps) as in Karras et al. 2018: std's gradient at zero spread would be NaN.
        s = (g.var(dim=2, unbiased=False) + 1e-8).sqrt().mean(dim=2, keepdim=True)  # (M, groups, 1)
        return s.unsqueeze(2).expand(m, groups, n // groups, 1).reshape(m, n, 1)

    # -- the plain MLP with hand-written backward -------------------------------------------
    # Without spectral norm, minibatch features or penalties on input gradients, an MLP's backward
    # pass is a few matrix products; calling them directly instead of going through the autograd
    # engine halves the cost of a training step at these sizes (see `ganviz bench`).
    def forward_cached(self, x: Tensor) -> tuple[Tensor, list]:
        """x (M, N, in) -> (output, cache for `backward_cached`). Call under torch.no_grad().

        The plain MLP (with the energy head, if any): no autoencoder, minibatch features or spectral norm."""
        if self.layout.autoencoder:
            raise ValueError("an autoencoder's reconstruction error has no hand-written backward: use forward")
        if self.m == 1:
            # One network: 2D addmm on fixed views, a few times cheaper than the batched forms.
            h = x[0]
            cache = []
            last = len(self._plain2d) - 1
            for li, (w, b) in enumerate(self._plain2d):
                pre = torch.addmm(b, h, w)
                out = pre = self.act_(pre) if li < last else pre
                cache.append((h, w, pre, out))
                h = out
            return self._output(h.unsqueeze(0), x), cache
        ws = self.weights()
        last = len(ws) - 1
        cache = []
        h = x
        for li, (w, b) in enumerate(ws):
            if li == last and self.layout.extra_last:
                w = w[:, :w.shape[1] - self.layout.extra_last]
            pre = _linear(h, w, b)
            out = pre = self.act_(pre) if li < last else pre
            cache.append((h, w, pre, out))
            h = out
        return self._output(h, x), cache

    def backward_cached(self, cache: list, g: Tensor, weights: bool = True,
                        inputs: bool = False) -> tuple[Optional[Tensor], Optional[Tensor]]:
        """From d loss / d output (M, N, out): (flat weight gradient (M, P) or None, input gradient or None).

        Call under torch.no_grad(). For M = 1 the weight gradient is a buffer that the next call overwrites.
        """
        if self.head is not None:
            # Through the energy head: softplus' = sigmoid of the last layer's output.
            pre = cache[-1][2]
            pre = pre if pre.dim() == 3 else pre.unsqueeze(0)
            g = torch.where(self.head, g * torch.sigmoid(pre), g)
        if self.m == 1:
            return self._backward_one(cache, g[0], weights, inputs)
        parts: list[Tensor] = []
        m = self.m
        n_layers = len(cache)
        for li in range(n_layers - 1, -1, -1):
            h, w, pre, out = cache[li]
            if li < n_layers - 1:
                g = self.act_grad(g, pre, out)
            if weights:
                gw = _bmm(h.transpose(1, 2), g)
                if li == n_layers - 1 and self.layout.extra_last:
                    gw = torch.cat([gw, gw.new_zeros(m, self.layout.extra_last, gw.shape[2])], dim=1)
                parts.append(g.sum(dim=1))
                parts.append(gw.reshape(m, -1))
            if li > 0 or inputs:
                g = _bmm(g, w.transpose(1, 2))
        flat = torch.cat(parts[::-1], dim=1) if weights else None
        return flat, (g if inputs else None)

    def _backward_one(self, cache: list, g: Tensor, weights: bool,
                      inputs: bool) -> tuple[Optional[Tensor], Optional[Tensor]]:
        n_layers = len(cache)
        for li in range(n_layers - 1, -1, -1):
            h, w, pre, out = cache[li]
            if li < n_layers - 1:
                g = self.act_grad(g, pre, out)
            if weights:
                gw, gb = self._grad2d[li]
                torch.mm(h.t(), g, out=gw)
                torch.sum(g, 0, out=gb)
            if li > 0 or inputs:
                g = torch.mm(g, w.t())
        return (self._grad if weights else None), (g.unsqueeze(0) if inputs else None)

    def flat_grad(self, loss: Tensor, create_graph: bool = False, retain_graph: Optional[bool] = None) -> Tensor:
        """d loss / d weights as one (M, P) tensor in the layout of `flat`."""
        # Unused weights (the hidden biases under batch norm) get a gradient of 0.
        grads = torch.autograd.grad(loss, self.params, create_graph=create_graph, retain_graph=retain_graph,
                                    allow_unused=True, materialize_grads=True)
        return torch.cat([g.reshape(self.m, -1) for g in grads], dim=1)

    def __call__(self, x: Tensor, **kw) -> Tensor:
        return self.forward(x, **kw)


# -- TensorFlow-style initialisation ------------------------------------------------------------
INIT_SCHEMES = ("xavier", "orthogonal")


def glorot_bound(fan_in: int, fan_out: int, gain: float = 1.0) -> float:
    """Glorot & Bengio (2010): the half-width a of U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    return gain * math.sqrt(6.0 / (fan_in + fan_out))


def _orthogonal(rows: int, cols: int, gen: torch.Generator, device, gain: float) -> Tensor:
    """A (rows, cols) matrix with orthonormal columns (rows >= cols) or rows, times gain, as
    tf.orthogonal_initializer draws it: QR of a Gaussian matrix, signs fixed by R's diagonal."""
    tall = rows >= cols
    a = torch.randn(max(rows, cols), min(rows, cols), generator=gen, device=device, dtype=torch.float64)
    q, r = torch.linalg.qr(a)
    q = q * torch.sign(torch.diagonal(r)).masked_fill(torch.diagonal(r) == 0, 1.0)
    return gain * (q if tall else q.t())


def reinit_(net: BatchedMLP, scheme: str, gen: torch.Generator | Sequence[torch.Generator], gain: float = 1.0,
            shared: bool = True) -> None:
    """Overwrite the linear layers of `net` in place the way TensorFlow initialises them, with zero biases.

    "xavier": U(-a, a), a = glorot_bound(fan_in, fan_out, gain), the default of TF's
    tf.contrib.layers.fully_connected and slim (xavier_initializer, uniform); "orthogonal": a
    (semi-)orthogonal matrix times gain (tf.orthogonal_initializer). The fan-in of D's last layer does
    not count its minibatch-std input, whose weight starts at 0. Batch norm's scale and shift are
    left as they are. shared: one draw for all M networks (as `BatchedMLP(shared_init=True)`);
    otherwise each network gets its own. A sequence of generators: independent runs, each drawing its own
    block of M / len(gen) networks, as that block alone would be drawn. The weights are written into
    `flat` in place, so views, optimizer state and trainers holding the network stay valid.
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"init: unknown scheme {scheme!r}; choose one of {', '.join(INIT_SCHEMES)}")
    gens = [gen] if isinstance(gen, torch.Generator) else list(gen)
    per = net.m // len(gens)
    rows = 1 if shared else per
    extra = net.layout.extra_last
    last = net.n_layers - 1
    with torch.no_grad():
        for li, (off, i, o) in enumerate(net._slices):
            fan_in = i - extra if li == last else i
            for r, g in enumerate(gens):
                w = _tf_layer(scheme, rows, i, o, fan_in, g, net.device, gain)
                block = net.flat[r * per:(r + 1) * per]
                block[:, off:off + i * o] = w.reshape(rows, i * o).to(net.flat.dtype)
                block[:, off + i * o:off + i * o + o] = 0.0


def _tf_layer(scheme: str, rows: int, i: int, o: int, fan_in: int, gen: torch.Generator, device,
              gain: float) -> Tensor:
    """One linear layer's weights (rows, i, o) for `reinit_`, in float64; the rows past fan_in stay 0."""
    w = torch.zeros(rows, i, o, dtype=torch.float64, device=device)
    for r in range(rows):
        if scheme == "xavier":
            a = glorot_bound(fan_in, o, gain)
            w[r, :fan_in] = (torch.rand(fan_in, o, generator=gen, device=device, dtype=torch.float64) * 2 - 1) * a
        else:
            w[r, :fan_in] = _orthogonal(fan_in, o, gen, device, gain)
    return w
