"""Confusion matrices as an image (needs matplotlib: pip install 'edu-clf[plot]')."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from edu_clf.errors import UsageError
from edu_clf.model.evaluate import Evaluation
from edu_clf.report.writers import atomic_path


def plot_confusion(evaluation: Evaluation, path: str | Path) -> Path:
    """Draw one row-normalised confusion matrix per task, counts written in the cells."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("--plot needs matplotlib", hint="pip install 'edu-clf[plot]'") from None
    tasks = list(evaluation.tasks.values())
    fig, axes = plt.subplots(1, len(tasks), figsize=(6 + 6 * len(tasks), 7),
                             gridspec_kw={"width_ratios": [len(t.labels) for t in tasks]})
    for ax, report in zip(np.atleast_1d(axes), tasks):
        counts = np.asarray(report.confusion, dtype=float)
        share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(report.labels)), report.labels, rotation=45, ha="right")
        ax.set_yticks(range(len(report.labels)), report.labels)
        for i in range(counts.shape[0]):
            for j in range(counts.shape[1]):
                if counts[i, j]:
                    ax.text(j, i, int(counts[i, j]), ha="center", va="center",
                            color="white" if share[i, j] > 0.5 else "black", fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"{report.task}: macro-F1 {report.macro_f1:.2f}, accuracy {report.accuracy:.2f}")
    fig.suptitle(f"{evaluation.method}, {len(evaluation.items)} items")
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return path
