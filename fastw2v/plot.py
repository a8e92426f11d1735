"""2-D pictures of word vectors: PCA (numpy SVD) or t-SNE (scikit-learn), labelled points.

Optional extra: ``pip install fastw2v[plot]`` (matplotlib, scikit-learn). Drawing
uses matplotlib's Agg backend, so it works without a display.
"""
from __future__ import annotations

import numpy as np

PLOT_EXTRA = "pip install fastw2v[plot]"
METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE"}


def _need(module: str, purpose: str):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise ImportError(f"{purpose} needs {module.split('.')[0]}: {PLOT_EXTRA}") from None


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Project rows onto their first two principal components (centred SVD)."""
    x = np.asarray(vectors, dtype=np.float64)
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return x @ vt[:2].T


def tsne_2d(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    """t-SNE embedding in 2-D (scikit-learn), perplexity capped for small inputs."""
    manifold = _need("sklearn.manifold", "method='tsne'")
    n = len(vectors)
    perplexity = float(min(30, max(2, (n - 1) // 3)))
    tsne = manifold.TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
    # A few hundred points take milliseconds on one thread, while OpenMP's spinning
    # workers can take seconds on a busy machine: stay single-threaded for small inputs.
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1 if n <= 2000 else None):
        return tsne.fit_transform(np.asarray(vectors, dtype=np.float64))


def project(vectors: np.ndarray, method: str = "pca") -> np.ndarray:
    """2-D coordinates of ``vectors`` by ``method`` ('pca' or 'tsne')."""
    if method == "pca":
        return pca_2d(vectors)
    if method == "tsne":
        return tsne_2d(vectors)
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")


def _label_offsets(points: np.ndarray, words, size: float) -> list:
    """Greedy label placement: per point, the first of a few offsets whose box
    overlaps no label placed before (right, below, left, above), in points."""
    placed, offsets = [], []
    height = size * 1.1
    for (px, py), word in zip(points, words):
        width = 0.6 * size * len(str(word))
        choices = [(3, 2), (3, -height), (-width - 3, 2), (-width - 3, -height),
                   (3, height), (3, -2 * height)]
        for dx, dy in choices:
            box = (px + dx, py + dy, px + dx + width, py + dy + height)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                       for b in placed):
                break
        else:
            dx, dy = choices[0]
            box = (px + dx, py + dy, px + dx + width, py + dy + height)
        placed.append(box)
        offsets.append((dx, dy))
    return offsets


def plot_words(words, vectors, method: str = "pca", path=None, title=None):
    """Scatter ``words`` at the 2-D projection of ``vectors``; save PNG to ``path`` if given.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if len(words) < 3:
        raise ValueError(f"need at least 3 words to plot, got {len(words)}")
    _need("matplotlib", "plotting")
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    xy = project(vectors, method)
    fig = Figure(figsize=(12, 9), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.scatter(xy[:, 0], xy[:, 1], s=10, color="#3b6ea8", alpha=0.6)
    size = 9 if len(words) <= 150 else 7
    fig.tight_layout()
    pixels = ax.transData.transform(xy) * 72.0 / fig.dpi   # in points, like the offsets
    for (x, y), word, offset in zip(xy, words, _label_offsets(pixels, words, size)):
        ax.annotate(str(word), (x, y), xytext=offset, textcoords="offset points", fontsize=size)
    ax.set_title(title or f"{len(words)} words, {METHOD_NAMES[method]} projection")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, format="png")
    return fig
