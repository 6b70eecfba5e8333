"""The Game page: why GAN training cycles instead of converging, on the smallest games.

Left, the game's vector field with the trajectories of the checked integrators
from a start point the user clicks; right, each trajectory's distance to the
equilibrium on a log scale, the eigenvalues of the Jacobian there and, for each
method, the spectral radius of its own one-step map with its verdict and what
the run measurably did. The maths lives in `ganviz.core.games`; this module only
draws it. Trajectories are computed a chunk per timer tick, so they grow on
screen as they are computed. The column of controls is `ui.game_controls`, the text under the
distance plot `ui.game_text`.

Why ~600 lines: the field, its trajectories, the distance plot and the legend that moves between
them in a short frame share one layout and one animation; split further they would pass the
same state back and forth.
"""
from __future__ import annotations

import math
import time
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from ganviz.core.games import (
    INTEGRATORS, REGULARISERS, Game, Measured, Runner, Verdict, make_game, measure, regulariser_effect, verdict,
)
from ganviz.ui import plotting as P
from ganviz.ui.game_controls import (  # noqa: F401  (DEFAULT_METHODS, _lr_of: the view's public names)
    DEFAULT_METHODS, GAMMA_SCALE, MOMENTUM_SCALE, GameControls, _lr_of, _swatch)
from ganviz.ui.base import Styled
from ganviz.ui.game_text import GameText
from ganviz.ui.theme import LIGHT, Theme

# Colour of each method, as an index into the theme's series palette. Yellow (index 6) is
# skipped: it vanishes on a white projector screen. The flow is the reference, in black.
COLOUR_INDEX = {"flow": 7, "sim_gda": 1, "alt_gda": 0, "extragradient": 2, "optimistic": 3,
                "consensus": 4, "momentum": 5}

FIELD_ARROWS = 17            # arrows per side of the visible square
ARROW_BINS = 4               # magnitude classes, drawn from faint (slow) to dark (fast)
FRAME_MS = 16                # ~60 frames per second
ANIMATION_FRAMES = 90        # a whole trajectory appears in about 1.5 s ...
TICK_BUDGET_S = 0.012        # ... unless computing it takes longer (the Dirac-GAN's noise quadrature)
MIN_DISTANCE = 1e-16         # below this the distance is rounding noise; the log plot needs > 0
TEXT_SHARE = 0.6             # the most of the right column the eigenvalues and verdicts take from the plot


class GameView(Styled, QWidget):
    """A self-contained page: game, field, trajectories, distance plot and controls."""

    def __init__(self, parent: Optional[QWidget] = None, theme: Theme = LIGHT) -> None:
        super().__init__(parent)
        self._init_style(theme, False)
        self._game: Game = make_game("bilinear")
        self._start = np.array(self._game.default_start, dtype=float)
        self._runners: dict[str, Runner] = {}
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._heads: dict[str, pg.ScatterPlotItem] = {}
        self._dist_curves: dict[str, pg.PlotDataItem] = {}
        self._verdicts: dict[str, Verdict] = {}
        self._measured: dict[str, Measured] = {}
        self._effects_for: Optional[str] = None   # the loss the regulariser tooltips were computed for

        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._tick)
        # Zooming or panning re-samples the field for the new range, once the range settles.
        self._field_timer = QTimer(self)
        self._field_timer.setSingleShot(True)
        self._field_timer.setInterval(60)
        self._field_timer.timeout.connect(self._draw_field)

        self._static = False          # a picture (an export): see set_static
        self._build_plots()
        controls = self.controls = GameControls()
        self._panel = controls
        for name in ("game_combo", "loss_combo", "reg_combo", "reg_weight", "reg_weight_label", "method_list",
                     "lr_slider", "gamma_slider", "momentum_slider", "k_slider", "steps_slider", "start_label"):
            setattr(self, name, getattr(controls, name))   # the names tests and the window use
        controls.gameChanged.connect(lambda: self._set_game(redraw_view=True))
        controls.lossChanged.connect(self._set_game)
        controls.regChanged.connect(self._set_game)
        controls.methodsChanged.connect(self._restart)
        controls.paramsChanged.connect(self._restart)
        controls.replayRequested.connect(self._restart)
        controls.resetViewRequested.connect(self._reset_view)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.dist_plot, 1)
        # The verdicts of seven methods can outgrow the column: they scroll, the plot keeps the rest.
        self._text_scroll = GameText()
        self.eigen_label, self.verdict_label = self._text_scroll.eigen_label, self._text_scroll.verdict_label
        rv.addWidget(self._text_scroll, 0)
        # In a short view (a 560x350 export) the text gives way and the legend moves here, under
        # the distance plot whose curves it also names: the field keeps the whole height.
        self._compact = False
        self._legend_host = pg.GraphicsLayoutWidget()
        self._legend_host.setObjectName("gameLegendHost")
        self._legend_host.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self._legend_host.setVisible(False)
        self._host_legend = pg.LegendItem(offset=None, colCount=2, frame=False)
        self._legend_host.ci.addItem(self._host_legend, row=0, col=0)
        rv.addWidget(self._legend_host, 0)
        lay = QHBoxLayout(self)
        lay.addWidget(controls, 0)
        lay.addWidget(self.field_plot, 5)
        lay.addWidget(right, 3)
        self._body = lay

        self.set_theme(theme)
        self._set_game(redraw_view=True)

    # -- construction ------------------------------------------------------------------------------
    def _build_plots(self) -> None:
        self.field_plot = pg.PlotWidget()
        self.field_plot.setObjectName("gameFieldPlot")
        self.field_plot.setMinimumSize(300, 300)
        self.field_plot.setAspectLocked(True)
        self.field_plot.showGrid(x=True, y=True)
        self.field_plot.setToolTip("The vector field v(p): each player's descent direction (arrows, darker = faster).\n"
                                   "Click to start the trajectories there; drag to pan, wheel to zoom.")
        pi = self.field_plot.getPlotItem()
        pi.setMenuEnabled(False)
        self._arrows = [pg.PlotDataItem(connect="pairs") for _ in range(ARROW_BINS)]
        for a in self._arrows:
            pi.addItem(a)
        self._equilibrium = pg.ScatterPlotItem(symbol="star", size=22)
        self._start_marker = pg.ScatterPlotItem(symbol="o", size=13)
        pi.addItem(self._equilibrium)
        # Below the plot, not over it: inside, it would hide the arrows and the outer spirals.
        self.legend = pg.LegendItem(offset=None, colCount=4, frame=False)
        pi.layout.addItem(self.legend, 4, 1, Qt.AlignHCenter)
        pi.addItem(self._start_marker)
        self._start_marker.setZValue(20)
        self._equilibrium.setZValue(19)
        vb = pi.getViewBox()
        vb.sigRangeChanged.connect(self._on_range_changed)
        # Until the user pans or zooms, a resize re-centres the equilibrium (aspect locking alone
        # would keep the left edge and push the right half of the game off the plot).
        self._user_view = False
        self._plot_size = None
        vb.sigRangeChangedManually.connect(self._on_manual_range)
        vb.sigResized.connect(self._on_plot_resized)
        self.field_plot.scene().sigMouseClicked.connect(self._on_click)

        self.dist_plot = pg.PlotWidget(axisItems={"left": P.LogAxis("left")})
        self.dist_plot.setObjectName("gameDistancePlot")
        self.dist_plot.setMinimumSize(200, 160)
        self.dist_plot.setLogMode(x=False, y=True)
        self.dist_plot.showGrid(x=True, y=True)
        self.dist_plot.getPlotItem().setMenuEnabled(False)
        # the compact legend sits under this plot and takes its width
        self.dist_plot.getPlotItem().getViewBox().sigResized.connect(
            lambda *_: self._fit_legend() if self._compact else None)
        self.dist_plot.setToolTip("Distance ||p_t − p*|| to the equilibrium after t iterations (log scale).\n"
                                  "A straight line down is linear convergence, up is divergence, flat is cycling.\n"
                                  "The flow is sampled at times t·η.")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._set_compact(P.is_compact(self.height()))
        # the text's height for the new width, and its share of the new height, are new size hints
        self._text_scroll.updateGeometry()
        self._fit_text()

    def set_static(self, on: bool) -> None:
        """For a picture no one can scroll (an export): no scroll bar, and the eigenvalue and verdict
        text shrinks, down to 7 pt, until it fits its share of the column."""
        self._static = bool(on)
        self._text_scroll.set_static(on)
        if on and self._field_timer.isActive():
            self._field_timer.stop()
            self._draw_field()
        if not on:
            self.set_presentation(self._presentation)   # the normal text size again
        self._fit_text()

    def _fit_text(self) -> None:
        if not self._compact:
            self._text_scroll.fit(self._presentation)

    def _update_eigen_label(self) -> None:
        self._text_scroll.show_eigenvalues(self._game)

    def _update_verdict_label(self) -> None:
        self._text_scroll.show_verdicts(self._verdicts, self._measured, self._runners, self._colour)
        self._fit_text()

    def _set_compact(self, on: bool) -> None:
        """Short view: smaller text, no eigenvalue and verdict text, the legend in the right column."""
        if on == self._compact:
            return
        self._compact = on
        self._text_scroll.setVisible(not on)
        self._legend_host.setVisible(on)
        # the square field gains little from width in a short view; the legend needs it for two columns
        self._body.setStretch(2, 4 if on else 3)
        self._fill_legends()
        self._style_text()

    def _legend_in_use(self) -> pg.LegendItem:
        return self._host_legend if self._compact else self.legend

    def _fill_legends(self) -> None:
        """The methods' entries in the legend in use; the other one stays empty (and takes no room)."""
        self.legend.clear()
        self._host_legend.clear()
        legend = self._legend_in_use()
        for mid, curve in self._curves.items():
            legend.addItem(curve, INTEGRATORS[mid].short)

    # -- public API ---------------------------------------------------------------------------------
    def set_start(self, x: float, y: float) -> None:
        """Start every trajectory at (x, y) and draw them again."""
        self._start = np.array([float(x), float(y)])
        self._restart()

    def start(self) -> tuple[float, float]:
        return float(self._start[0]), float(self._start[1])

    def load_game(self, table: dict) -> None:
        """Set every control from a scenario's [game] table (validated by ganviz.core.scenario) and
        start the trajectories again."""
        self.controls.load(table)
        start = table.get("start") or self.game().default_start
        self.set_start(*start)

    def game(self) -> Game:
        return self._game

    def trajectories(self) -> dict[str, np.ndarray]:
        """The points computed so far for each checked method, (n, 2) arrays."""
        return {mid: r.points() for mid, r in self._runners.items()}

    def verdicts(self) -> dict[str, Verdict]:
        """Each shown method's spectral radius at the equilibrium and its verdict."""
        return dict(self._verdicts)

    def measured(self) -> dict[str, Measured]:
        """What each finished run did, read off its trajectory."""
        return dict(self._measured)

    def finish_animation(self) -> None:
        """Compute and draw every trajectory to its end now."""
        for r in self._runners.values():
            r.advance(r.steps)
        self._halt()
        self._redraw_trajectories()

    def animating(self) -> bool:
        return self._timer.isActive()

    def stop_animation(self) -> None:
        """Stop growing the trajectories on the timer; they stay as they are until `advance_to`
        (or a change of game, start or slider starts them again)."""
        self._halt()

    def _halt(self) -> None:
        """Stop the timer, and do not let a later showEvent start it again."""
        self._timer.stop()
        self._hidden_while_animating = False

    def advance_to(self, n: int) -> int:
        """Stop the animation, compute each trajectory up to iteration `n` (at most the steps
        slider's value; a diverged run stops where it diverged) and draw them. Trajectories only
        grow: one the timer took further stays so. From a stopped start, the same n gives the same
        picture whatever the clock did: an export draws its frames so. Returns n as clamped."""
        self._halt()
        n = max(0, min(int(n), self.steps_slider.value()))
        for r in self._runners.values():
            r.advance(n - (len(r.points()) - 1))
        self._redraw_trajectories()
        return n

    def set_controls_visible(self, on: bool) -> None:
        """Show or hide the column of controls (an exported frame shows the field and the distances,
        not the app's sliders)."""
        self._panel.setVisible(bool(on))

    def set_methods(self, methods) -> None:
        self.controls.set_methods(methods)
        self._restart()

    def checked_methods(self) -> list[str]:
        return self.controls.checked_methods()

    def params(self) -> dict:
        """The sliders' values: lr, gamma, beta, k and steps."""
        return self.controls.params()

    def _restyle(self) -> None:
        """The theme's colours and the presentation mode's sizes, everywhere (ui.base.Styled's hook)."""
        theme, on = self._theme, self._presentation
        self.controls.set_presentation(on)
        f = QFont(self.font())
        f.setPointSize(14 if on else 10)
        for w in self.findChildren(QWidget):
            if w is not self.field_plot and w is not self.dist_plot:
                w.setFont(f)
        # a rich-text QLabel keeps its old layout height until its text is set again
        self._update_eigen_label()
        for plot in (self.field_plot, self.dist_plot):
            plot.setBackground(theme.background)
            pi = plot.getPlotItem()
            for side in ("left", "bottom"):
                ax = pi.getAxis(side)
                # each frame repaints the plots: the axes replay a pixmap, and the grid is opaque under
                # the arrows and trajectories (pyqtgraph's translucent grid over them cost ~5 ms a frame)
                P.cache_axis(ax)
                P.opaque_grid(ax, theme.background)
                ax.setPen(pg.mkPen(theme.foreground))
                ax.setTextPen(pg.mkPen(theme.foreground))
                ax.setGrid(int(255 * theme.grid_alpha))
        self.legend.setLabelTextColor(theme.foreground)
        self._host_legend.setLabelTextColor(theme.foreground)
        self._legend_host.setBackground(theme.background)
        self._equilibrium.setBrush(pg.mkBrush(theme.highlight))
        self._equilibrium.setPen(pg.mkPen(theme.background, width=1))
        self._start_marker.setBrush(pg.mkBrush(theme.background))
        self._start_marker.setPen(pg.mkPen(theme.foreground, width=2.5))
        for i in range(self.method_list.count()):
            item = self.method_list.item(i)
            mid = item.data(Qt.UserRole)
            item.setIcon(_swatch(self._colour(mid), dashed=mid == "flow"))
        self._style_text()
        self._draw_field()
        self._rebuild_items()


    # -- reactions ----------------------------------------------------------------------------------
    def _on_click(self, ev) -> None:
        if ev.button() != Qt.LeftButton:
            return
        vb = self.field_plot.getPlotItem().getViewBox()
        pos = ev.scenePos()
        if not vb.sceneBoundingRect().contains(pos):
            return
        p = vb.mapSceneToView(pos)
        ev.accept()
        self.set_start(p.x(), p.y())

    def _on_range_changed(self, *_) -> None:
        # In the app the field is re-sampled once a zoom or pan settles; in a picture (an export)
        # at once, so that a frame never depends on whether the timer fired before it was grabbed.
        if self._static:
            self._field_timer.stop()
            self._draw_field()
        else:
            self._field_timer.start()

    def _on_manual_range(self, *_) -> None:
        self._user_view = True

    def _on_plot_resized(self, *_) -> None:
        # The view box also resizes when its tick labels change width (after a zoom): only a new
        # widget size re-centres the view.
        size = self.field_plot.size()
        if size == self._plot_size:
            return
        self._plot_size = size
        self._fit_legend()
        if not self._user_view:
            self._reset_view()

    def _set_game(self, redraw_view: bool = False) -> None:
        gid = self.game_combo.currentData()
        dirac = gid == "dirac"
        reg = REGULARISERS[self.reg_combo.currentData()]
        for w in (self.loss_combo, self.reg_combo):
            w.setEnabled(dirac)
        self.reg_weight.setEnabled(dirac and reg.id != "none")
        self.reg_weight_label.setText(f"Weight {reg.weight_name}" if reg.id != "none" else "Weight")
        self.reg_weight.setToolTip(f"{reg.name} weight {reg.weight_name}: {reg.dirac}" if reg.id != "none"
                                   else "no regulariser selected")
        new_game = make_game(gid, self.loss_combo.currentData(), reg.id, self.reg_weight.value())
        changed_kind = new_game.id != self._game.id
        self._game = new_game
        if changed_kind:
            self._start = np.array(new_game.default_start, dtype=float)
        self._update_eigen_label()
        self._update_reg_tooltips()
        self._style_text()
        if redraw_view or changed_kind:
            self._reset_view()
        self._draw_field()
        self._restart()

    def _reset_view(self) -> None:
        self._user_view = False
        e = self._game.extent
        c = self._game.equilibrium
        self.field_plot.getPlotItem().getViewBox().setRange(
            xRange=(c[0] - e, c[0] + e), yRange=(c[1] - e, c[1] + e), padding=0.02)

    # -- drawing ------------------------------------------------------------------------------------
    def _style_text(self) -> None:
        size = 15 if self._presentation else 9 if self._compact else 11
        tick = QFont()
        tick.setPointSize(size - 1)
        css = {"color": self._theme.foreground, "font-size": f"{size}pt"}
        fp, dp = self.field_plot.getPlotItem(), self.dist_plot.getPlotItem()
        for pi in (fp, dp):
            for side in ("left", "bottom"):
                pi.getAxis(side).setStyle(tickFont=tick)
        ax, ay = self._game.axes
        fp.setLabel("bottom", ax, **css)
        fp.setLabel("left", ay, **css)
        dp.setLabel("bottom", "iteration t", **css)
        # the title says ||p_t - p*||: a short plot keeps only the first word of its axis label
        dp.setLabel("left", "distance" if self._compact else "distance to equilibrium", **css)
        # A long Dirac-GAN name (loss + regulariser) breaks before the regulariser, not off the edge.
        name = self._game.name
        lines = 2 if len(name) > 40 else 1
        fp.setTitle(name.replace(" + ", "<br>+ ") if lines == 2 else name, color=self._theme.foreground,
                    size=f"{size}pt")
        # setTitle fixes the title row at 30 px, one line of small text
        height = lines * QFontMetrics(tick).height() * (size + 1) // (size - 1) + 8
        fp.titleLabel.setMaximumHeight(height)
        fp.layout.setRowFixedHeight(0, height)
        dp.setTitle("||p_t − p*||", color=self._theme.foreground, size=f"{size}pt")
        legend = self._legend_in_use()
        legend.setLabelTextSize(f"{size}pt")
        for item in legend.items:
            item[1].setText(item[1].text, size=f"{size}pt", color=self._theme.foreground)
        self._fit_legend()

    def _fit_legend(self) -> None:
        """As many legend columns as fit under the field plot.

        A legend wider than the plot's middle column widens the whole plot item past the
        widget's edge, cutting off the right of the field.
        """
        legend = self._legend_in_use()
        n = len(legend.items)
        if not n:
            return
        pi = self.field_plot.getPlotItem()
        if self._compact:
            # tight rows; one column unless two fit in the right column's width
            legend.layout.setVerticalSpacing(-6)
            legend.layout.setHorizontalSpacing(0)
            room = self.dist_plot.width() - 8
        else:
            room = self.field_plot.width() - pi.getAxis("left").width() - 24
        for cols in range(min(n, 4), 0, -1):
            legend.setColumnCount(cols)
            legend.layout.activate()
            if legend.layout.preferredWidth() <= room:
                break
        if self._compact:
            self._legend_host.setFixedHeight(int(legend.layout.preferredHeight()) + 6)
            return
        # LegendItem.updateSize() moves the legend to (0, 0) and the plot item keeps a width forced
        # on it by a wider legend: lay the plot item out again at the view's own size.
        pg.GraphicsView.resizeEvent(self.field_plot, None)
        pi.layout.invalidate()
        pi.layout.activate()

    def _update_reg_tooltips(self) -> None:
        """Each regulariser's effect with the current loss: instance noise, say, does nothing to WGAN."""
        lid = self.loss_combo.currentData()
        if lid == self._effects_for:
            return
        self._effects_for = lid
        for i in range(self.reg_combo.count()):
            rid = self.reg_combo.itemData(i)
            reg = REGULARISERS[rid]
            head = "no regulariser" if rid == "none" else f"{reg.formula}\nDirac-GAN: {reg.dirac}\n{reg.reference}"
            self.reg_combo.setItemData(i, f"{head}\n{regulariser_effect(lid, rid)}", Qt.ToolTipRole)

    def _draw_field(self) -> None:
        vb = self.field_plot.getPlotItem().getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        span = max(x1 - x0, y1 - y0)
        if not (span > 0 and math.isfinite(span)):
            return
        spacing = span / FIELD_ARROWS
        xs = np.arange(math.floor(x0 / spacing), math.ceil(x1 / spacing) + 1) * spacing
        ys = np.arange(math.floor(y0 / spacing), math.ceil(y1 / spacing) + 1) * spacing
        grid = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
        v = self._game.vector_field(grid)
        mag = np.hypot(v[:, 0], v[:, 1])
        top = mag.max() if mag.size else 0.0
        keep = mag > 1e-12 * max(top, 1e-300)
        grid, v, mag = grid[keep], v[keep], mag[keep]
        u = v / mag[:, None]
        length = 0.75 * spacing
        tip = grid + 0.5 * length * u
        tail = grid - 0.5 * length * u
        head = 0.32 * length
        c, s = math.cos(math.radians(28)), math.sin(math.radians(28))
        back = -u
        left = np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]], -1)
        right = np.stack([c * back[:, 0] + s * back[:, 1], -s * back[:, 0] + c * back[:, 1]], -1)
        segs = np.stack([tail, tip, tip, tip + head * left, tip, tip + head * right], 1)  # (n, 6, 2)
        rel = mag / top if top > 0 else mag
        bins = np.minimum((rel * ARROW_BINS).astype(int), ARROW_BINS - 1)
        base = QColor(self._theme.arrow)
        width = 2.0 if self._presentation else 1.3
        for b, item in enumerate(self._arrows):
            col = QColor(base)
            col.setAlpha(int(35 + 170 * (b + 1) / ARROW_BINS))
            pts = segs[bins == b].reshape(-1, 2)
            item.setPen(pg.mkPen(col, width=width))
            item.setData(pts[:, 0], pts[:, 1], connect="pairs")
        eq = self._game.equilibrium
        self._equilibrium.setData([eq[0]], [eq[1]])

    def _colour(self, mid: str) -> str:
        return self._theme.series(COLOUR_INDEX[mid])

    def _rebuild_items(self) -> None:
        """Create the curves of the checked methods (with legend entries) and restart them."""
        fp, dp = self.field_plot.getPlotItem(), self.dist_plot.getPlotItem()
        for mid in list(self._curves):
            fp.removeItem(self._curves.pop(mid))
            fp.removeItem(self._heads.pop(mid))
            dp.removeItem(self._dist_curves.pop(mid))
        width = 4.0 if self._presentation else 2.5
        for mid in self.checked_methods():
            col = self._colour(mid)
            style = Qt.DashLine if mid == "flow" else Qt.SolidLine
            pen = pg.mkPen(col, width=width, style=style)
            curve = pg.PlotDataItem(pen=pen)
            curve.setZValue(10)
            fp.addItem(curve)
            head = pg.ScatterPlotItem(size=12 if self._presentation else 9, brush=pg.mkBrush(col),
                                      pen=pg.mkPen(self._theme.background, width=1))
            head.setZValue(11)
            fp.addItem(head)
            dcurve = pg.PlotDataItem(pen=pg.mkPen(col, width=width - 0.5, style=style))
            dp.addItem(dcurve)
            self._curves[mid], self._heads[mid], self._dist_curves[mid] = curve, head, dcurve
        self._fill_legends()
        self._style_text()
        self._restart(rebuild=False)

    def _restart(self, rebuild: bool = True) -> None:
        if rebuild and set(self._curves) != set(self.checked_methods()):
            self._rebuild_items()
            return
        p = self.params()
        self._runners = {
            mid: Runner(self._game, mid, self._start, p["steps"], p["lr"],
                        gamma=p["gamma"], beta=p["beta"], k=p["k"])
            for mid in self._curves
        }
        self._verdicts = {mid: verdict(self._game, mid, r.hyper) for mid, r in self._runners.items()}
        self._measured = {}
        self._update_verdict_label()
        self._start_marker.setData([self._start[0]], [self._start[1]])
        ax, ay = (a.split(" (")[0] for a in self._game.axes)
        self.start_label.setText(f"Start ({ax}, {ay}) = ({self._start[0]:.2f}, {self._start[1]:.2f}); "
                                 "click the field to move it.")
        self._redraw_trajectories()
        growing = bool(self._runners) and not all(r.done for r in self._runners.values())
        # A game lab on a tab never shown has no hideEvent to stop it: it grows once it is shown.
        self._hidden_while_animating = growing and not self.isVisible()
        if growing and self.isVisible():
            self._timer.start()
        else:
            self._timer.stop()

    def hideEvent(self, ev) -> None:
        # A hidden game lab (another tab) computes nothing: its trajectories grow on when it is shown again.
        super().hideEvent(ev)
        self._hidden_while_animating = self._timer.isActive()
        self._timer.stop()

    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        if getattr(self, "_hidden_while_animating", False):
            self._hidden_while_animating = False
            self._timer.start()

    def _tick(self) -> None:
        # Each method gets the same number of new iterates per frame, one at a time in turn, until
        # the frame's time is up: a slow method (the flow's RK4 on the Dirac-GAN) neither starves the
        # others nor stalls the GUI, and all trajectories grow in step.
        chunk = max(1, math.ceil(self.steps_slider.value() / ANIMATION_FRAMES))
        deadline = time.perf_counter() + TICK_BUDGET_S
        pending = {mid: chunk for mid, r in self._runners.items() if not r.done}
        while pending and time.perf_counter() < deadline:
            for mid in list(pending):
                pending[mid] -= 1
                if self._runners[mid].advance(1) == 0 or pending[mid] == 0:
                    del pending[mid]
        self._redraw_trajectories()
        if all(r.done for r in self._runners.values()):
            self._timer.stop()

    def _redraw_trajectories(self) -> None:
        measured = False
        for mid, r in self._runners.items():
            pts = r.points()
            # measured once, when the run is complete: a text growing with the run would jitter the layout
            if r.done and mid not in self._measured:
                self._measured[mid] = measure(pts, self._game.equilibrium, r.diverged)
                measured = True
            self._curves[mid].setData(pts[:, 0], pts[:, 1])
            self._heads[mid].setData([pts[-1, 0]], [pts[-1, 1]])
            dist = np.maximum(self._game.distance(pts), MIN_DISTANCE)
            self._dist_curves[mid].setData(np.arange(len(pts)), dist)
        if measured:
            self._update_verdict_label()
