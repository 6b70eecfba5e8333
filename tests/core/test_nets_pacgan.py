"""PacGAN's networks (Lin et al. 2018): batch norm in G, maxout units in D, packs of samples into D."""
import torch
import torch.nn.functional as F

from ganviz.core.nets import BN_EPS, BatchedMLP, Layout


def net(layout: Layout, m: int = 2, dtype=torch.float32) -> BatchedMLP:
    # Separate weights per network, so that anything shared across the M networks would show.
    return BatchedMLP(m, layout, "relu", torch.device("cpu"), torch.Generator().manual_seed(0),
                      shared_init=False, dtype=dtype)


def two_inputs(n: int, d: int, dtype=torch.float32) -> torch.Tensor:
    """Inputs for M = 2 networks from different distributions: statistics pooled over M would be wrong."""
    x = torch.randn(2, n, d, generator=torch.Generator().manual_seed(1), dtype=dtype)
    x[1] = 4 * x[1] + 3
    return x


# -- batch norm -------------------------------------------------------------------------------------
def test_batchnorm_normalises_each_hidden_layer_of_each_network_at_init():
    def pre_activations(g: BatchedMLP) -> list:
        seen, act = [], g._activate
        g._activate = lambda pre: (seen.append(pre.detach()), act(pre))[1]
        g(two_inputs(500, 2))
        return seen

    pre = pre_activations(net(Layout(2, 2, 16, 3, batchnorm=True)))
    assert len(pre) == 3
    for h in pre:
        var, mean = torch.var_mean(h, dim=1, correction=0)        # per network and feature
        assert torch.allclose(mean, torch.zeros_like(mean), atol=1e-5)
        assert torch.allclose(var, torch.ones_like(var), atol=2e-3)
    # ... which the same layers without batch norm are not.
    plain = pre_activations(net(Layout(2, 2, 16, 3)))
    assert plain[0][1].mean(dim=0).abs().max() > 0.5


def test_batchnorm_gradients_match_a_reference_and_finite_differences():
    layout = Layout(3, 2, 8, 2, batchnorm=True)
    g = net(layout, dtype=torch.float64)
    with torch.no_grad():   # scales and shifts away from their initial 1 and 0
        for scale, shift in g.norms():
            scale.uniform_(0.5, 1.5, generator=torch.Generator().manual_seed(2))
            shift.normal_(generator=torch.Generator().manual_seed(3))
    x = two_inputs(64, 3, torch.float64)
    r = torch.randn(2, 64, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    out = g(x)
    grad = g.flat_grad((out * r).sum())
    n_norm = layout.norm_size()
    assert n_norm == 2 * 2 * 8 and g.flat.shape[1] == layout.size()
    for i in range(2):      # each network alone, batch norm written out
        h, leaves = x[i], []
        for (w, b), (scale, shift) in zip(g.weights()[:-1], g.norms()):
            scale, shift = scale[i, 0].detach().requires_grad_(True), shift[i, 0].detach().requires_grad_(True)
            leaves += [scale, shift]
            pre = h @ w[i].detach() + b[i, 0].detach()
            mean, var = pre.mean(0), ((pre - pre.mean(0)) ** 2).mean(0)
            h = torch.relu((pre - mean) / torch.sqrt(var + BN_EPS) * scale + shift)
        w, b = g.weights()[-1]
        ref = h @ w[i].detach() + b[i, 0].detach()
        assert torch.allclose(out[i], ref, atol=1e-12)
        ref_grad = torch.cat(torch.autograd.grad((ref * r[i]).sum(), leaves))
        assert torch.allclose(grad[i, -n_norm:], ref_grad, atol=1e-10)     # scales and shifts sit last in flat

    head = g.flat.detach()[:, :-n_norm]
    tail = g.flat.detach()[:, -n_norm:].clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: g(x, flat=torch.cat([head, t], dim=1)), (tail,))


def test_batchnorm_with_a_reference_batch_uses_only_its_statistics():
    g = net(Layout(2, 2, 16, 2, batchnorm=True))
    ref = torch.randn(2, 300, 2, generator=torch.Generator().manual_seed(5))
    probe = torch.linspace(-3, 3, 20).view(1, 10, 2).expand(2, 10, 2)
    with torch.no_grad():
        alone = g(ref)
        joint = g(torch.cat([ref, probe], dim=1), norm_ref=300)
    assert torch.allclose(joint[:, :300], alone, atol=1e-5)     # the reference rows are unchanged by the probe
    inside = g(torch.cat([ref, ref[:, :10]], dim=1), norm_ref=300)[:, 300:]
    assert torch.allclose(inside, alone[:, :10], atol=1e-5)     # a probe maps as it does inside the reference


# -- maxout -----------------------------------------------------------------------------------------
def test_maxout_matches_a_plain_torch_reference():
    k, width = 3, 6
    d = net(Layout(4, 1, width, 2, pieces=k))
    x = two_inputs(50, 4)
    out = d(x)
    assert d.weights()[0][0].shape == (2, 4, width * k) and d.weights()[1][0].shape == (2, width, width * k)
    for i in range(2):
        h = x[i]
        for w, b in d.weights()[:-1]:
            pre = F.linear(h, w[i].T, b[i, 0])
            h = torch.stack([pre[:, j * k:(j + 1) * k].max(dim=1).values for j in range(width)], dim=1)
        w, b = d.weights()[-1]
        assert torch.allclose(out[i], F.linear(h, w[i].T, b[i, 0]), atol=1e-5)
