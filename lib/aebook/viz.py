"""Figures that move, twice: an ipywidgets slider for a live kernel and a jshtml animation for the static book.

Both take the same ``draw(ax, value)`` function, so the slider and the animation always show the same figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import ipywidgets
    from IPython.display import HTML
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Draw = Callable[["Axes", float], None]


def image_grid(
    images: np.ndarray, titles: Sequence[str], rows: int = 1, cmap: str = "gray", size: float = 1.8
) -> Figure:
    """Show images side by side with a title each; return the matplotlib figure."""
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    cols = int(np.ceil(len(images) / rows))
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows + 0.3), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, img, title in zip(axes.flat, images, titles):
        ax.imshow(img, cmap=cmap, vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def _axes(ncols: int, figsize: tuple[float, float]) -> tuple:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=figsize)
    return fig, axes


def _clear(axes) -> None:
    for ax in np.atleast_1d(axes):
        ax.clear()


def figure_animation(
    draw: Draw,
    values: Sequence[float],
    figsize: tuple[float, float] = (5, 3),
    interval_ms: int = 150,
    ncols: int = 1,
) -> HTML:
    """Play ``draw(ax, v)`` for each v as a self-contained HTML animation (jshtml) that moves in the static book.

    With ``ncols > 1``, ``draw`` receives the row of axes instead of one.
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib import animation

    values = list(values)
    if not values:
        raise ValueError("an animation needs at least one value")
    fig, ax = _axes(ncols, figsize)

    def update(i: int) -> list:
        _clear(ax)
        draw(ax, values[i])
        return []

    update(0)
    fig.tight_layout()
    anim = animation.FuncAnimation(fig, update, frames=len(values), interval=interval_ms, blit=False)
    html = anim.to_jshtml(default_mode="loop")
    plt.close(fig)
    return HTML(html)


def figure_slider(
    draw: Draw,
    start: float,
    stop: float,
    step: float,
    description: str = "value",
    figsize: tuple[float, float] = (5, 3),
    ncols: int = 1,
) -> ipywidgets.VBox:
    """An ipywidgets slider that redraws ``draw(ax, value)``: live in a kernel, inert in the static book."""
    return figure_sliders(lambda ax, values: draw(ax, values[description]),
                          {description: (start, stop, step, start)}, figsize=figsize, ncols=ncols)


def figure_sliders(
    draw: Callable[[Axes, dict[str, float]], None],
    sliders: Mapping[str, tuple[float, float, float, float]],
    figsize: tuple[float, float] = (5, 3),
    ncols: int = 1,
) -> ipywidgets.VBox:
    """Sliders named by ``sliders`` (name → (start, stop, step, initial value)) that redraw ``draw(ax, values)``
    with every slider's current value: live in a kernel, inert in the static book."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    if not sliders:
        raise ValueError("figure_sliders needs at least one slider")
    out = widgets.Output()
    controls = {
        name: widgets.FloatSlider(value=value, min=min(start, stop), max=max(start, stop), step=step,
                                  description=name)
        for name, (start, stop, step, value) in sliders.items()
    }

    def redraw(_change: object = None) -> None:
        with out:
            out.clear_output(wait=True)
            fig, ax = _axes(ncols, figsize)
            draw(ax, {name: control.value for name, control in controls.items()})
            fig.tight_layout()
            plt.show()

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([*controls.values(), out])


def image_drawer(render: Callable[[float], np.ndarray], label: Callable[[float], str], cmap: str = "gray") -> Draw:
    """A ``draw(ax, value)`` that shows the image ``render(value)`` titled ``label(value)``."""

    def draw(ax: Axes, value: float) -> None:
        ax.imshow(render(value), cmap=cmap, vmin=0, vmax=1)
        ax.set_title(label(value), fontsize=9)
        ax.set_axis_off()

    return draw
