"""Two-player games small enough to see why GAN training cycles instead of converging.

A game has two scalar players, x and y, and a *vector field* v(p) = (v_x, v_y)
that holds each player's descent direction of its own objective: gradient
descent moves p by +lr * v(p). Every integrator in `INTEGRATORS` reads only v
(and, for consensus optimisation, its Jacobian), so the same code runs on every
game.

Whether a method converges is a property of its own one-step map, not of the
field alone: `verdict` gives the spectral radius rho of each method's map
linearised at the equilibrium (rho < 1 converges, = 1 circles, > 1 diverges,
near the equilibrium), and `measure` says what a run actually did, which is
what decides where rho = 1 or the run starts far from the equilibrium.

Bilinear game. V(x, y) = x * y, x minimises and y maximises:
v(x, y) = (-dV/dx, +dV/dy) = (-y, x), a rotation about the equilibrium (0, 0)
whose Jacobian [[0, -1], [1, 0]] has eigenvalues +-i. Some texts write the
game as V(x, y) = -xy: minimising -xy is maximising xy, so with the players'
roles swapped it is this game, and with x still minimising it is the same
rotation turning clockwise instead of anticlockwise.

Dirac-GAN (Mescheder, Geiger & Nowozin 2018, "Which training methods for GANs
actually converge?"). p_data is a point mass at 0, the generator a point mass at
theta, the discriminator D(x) = psi * x; the axes are (x, y) = (theta, psi). Its
field is computed from the loss registry (`ganviz.core.losses.LOSSES`, the one
home of every loss formula): D's logit on the real sample is psi * 0, on the fake
one psi * theta; D minimises the registry's `d_loss` plus a regulariser, G
minimises `g_loss`; the field and its Jacobian come from each loss's first and second
derivatives, in numpy (tests check them against autograd through the torch losses). What the paper
proves, and what this module's tests check numerically:

- Unregularised, most losses have purely imaginary eigenvalues at (0, 0)
  (+-i f'(0); the LSGAN's are 0, 0): the flow does not converge at a linear rate,
  and neither does gradient descent, simultaneous or alternating. For the minimax
  loss and WGAN the flow keeps theta^2 + psi^2 constant (paper, Lemma 2.3),
  simultaneous gradient descent spirals out, alternating gradient descent circles.
  The non-saturating loss breaks the symmetry slightly:
  d(theta^2 + psi^2)/dt = -2 t tanh(t/2) with t = psi theta, a fourth-order
  term, so its circles tighten only sublinearly (|p| ~ 1/sqrt(time)), and under
  simultaneous gradient descent, which pushes out by rho per step, the two settle
  on a cycle of radius ~ sqrt(2 eta). Extragradient, optimistic and consensus
  steps change the map, not the field, and converge linearly for small eta. WGAN
  is modelled without weight clipping; clipping psi does not help (paper, Sec. 3).
- R1 (gamma/2 psi^2), instance noise and the zero-centred gradient penalty give
  eigenvalues with negative real parts (instance noise only for losses with
  f''(0) != 0: WGAN's linear loss is blind to it), and small-lr gradient descent
  converges to (0, 0).
- WGAN-GP's penalty lambda (|grad_x D| - 1)^2 = lambda (|psi| - 1)^2 pushes |psi|
  towards 1, not 0: its field jumps by 4 lambda across psi = 0, so (0, 0) is no
  rest point and its Jacobian there is only one-sided. Numerically the iterates
  never converge to (0, 0): with a weak penalty they settle on a cycle around
  it, with a strong one they stall on the theta axis far from the data (for the
  WGAN loss at theta = +-2 lambda). This is the paper's "WGAN-GP does not always
  converge". The gradient penalty that converges is the zero-centred one
  (`gp0`), which for D(x) = psi x is R1 (grad_x D = psi everywhere).
"""
from __future__ import annotations

# The game lab in three modules, named here for those who read it as one: the fields
# (game_fields), the integrators, and the verdicts (game_verdicts).

from ganviz.core.game_fields import (DIVERGED_AT, EIGEN_TOL, FLOW_MAX_SUBSTEP, GAMES, NOISE_NODES,
                                     REGULARISERS, Bilinear, DiracGAN, Game, Regulariser, format_eigenvalues,
                                     make_game, regulariser_effect)
from ganviz.core.game_verdicts import (RHO_TOL, VERDICTS, Measured, Verdict, disagreement,
                                       format_rho, linear_map, measure, spectral_radius, step_matrix, verdict)
from ganviz.core.integrators import (INTEGRATORS, PARAM_INFO, Hyper, Integrator, Runner, Trajectory,
                                     hyper, run)

__all__ = ["DIVERGED_AT", "EIGEN_TOL", "FLOW_MAX_SUBSTEP", "GAMES", "NOISE_NODES", "REGULARISERS", "Bilinear", "DiracGAN",
           "Game", "Regulariser", "format_eigenvalues", "make_game", "regulariser_effect", "RHO_TOL", "VERDICTS",
           "Measured", "Verdict", "disagreement", "format_rho", "linear_map", "measure", "spectral_radius",
           "step_matrix", "verdict", "INTEGRATORS", "PARAM_INFO", "Hyper", "Integrator", "Runner", "Trajectory",
           "hyper", "run"]
