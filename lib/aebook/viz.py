"""Figures that move: an ipywidgets slider for a live kernel and a jshtml animation for the static book."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import ipywidgets
    from IPython.display import HTML
    from matplotlib.figure import Figure


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


def frames_animation(
    frames: np.ndarray,
    labels: Sequence[str],
    interval_ms: int = 150,
    cmap: str = "gray",
    size: float = 2.6,
) -> HTML:
    """An animation over ``frames`` (T, H, W) as self-contained HTML (jshtml) that plays in the static book."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib import animation

    frames = np.asarray(frames)
    if len(frames) != len(labels):
        raise ValueError(f"{len(frames)} frames but {len(labels)} labels")
    fig, ax = plt.subplots(figsize=(size, size + 0.3))
    ax.set_axis_off()
    im = ax.imshow(frames[0], cmap=cmap, vmin=0, vmax=1)
    title = ax.set_title(labels[0], fontsize=9)

    def update(i: int) -> tuple:
        im.set_data(frames[i])
        title.set_text(labels[i])
        return im, title

    anim = animation.FuncAnimation(fig, update, frames=len(frames), interval=interval_ms, blit=False)
    html = anim.to_jshtml(default_mode="loop")
    plt.close(fig)
    return HTML(html)


def image_slider(
    render: Callable[[float], np.ndarray],
    label: Callable[[float], str],
    start: float = 0.0,
    stop: float = 1.0,
    step: float = 0.02,
    description: str = "t",
    cmap: str = "gray",
) -> ipywidgets.VBox:
    """An ipywidgets slider that redraws ``render(value)`` as an image: works in a live kernel only."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    out = widgets.Output()
    slider = widgets.FloatSlider(value=start, min=start, max=stop, step=step, description=description)

    def draw(value: float) -> None:
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(2.6, 2.9))
            ax.imshow(render(value), cmap=cmap, vmin=0, vmax=1)
            ax.set_title(label(value), fontsize=9)
            ax.set_axis_off()
            plt.show()

    slider.observe(lambda change: draw(change["new"]), names="value")
    draw(start)
    return widgets.VBox([slider, out])
