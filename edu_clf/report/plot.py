"""Confusion matrices and reliability diagrams as an image (needs matplotlib: pip install 'edu-clf[plot]')."""
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
    with_scores = evaluation.scores is not None
    fig, axes = plt.subplots(2 if with_scores else 1, len(tasks), figsize=(6 + 6 * len(tasks), 13 if with_scores else 7),
                             gridspec_kw={"width_ratios": [len(t.labels) for t in tasks]}, squeeze=False)
    for ax, report in zip(axes[0], tasks):
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
    if with_scores:   # reliability: share right against mean score per score bin
        from edu_clf.model.evaluate import reliability
        for column, (ax, report) in enumerate(zip(axes[1], tasks)):
            scores = evaluation.scores[:, column]
            correct = np.array([str(p) == getattr(it, report.task)
                                for it, p in zip(evaluation.items, evaluation.predicted[:, column])])
            bins = reliability(scores, correct)
            mids = [(lo + hi) / 2 for lo, hi, _, _ in bins]
            ax.bar(mids, [r for _, _, _, r in bins], width=0.09, color="#4c72b0", label="share right")
            ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect calibration")
            for x, (_, _, n, r) in zip(mids, bins):
                ax.text(x, r + 0.02, str(n), ha="center", fontsize=8)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.1)
            ax.set_xlabel("score of the predicted label (bin; items above each bar)")
            ax.set_ylabel("share right")
            ax.set_title(f"{report.task}: reliability, ECE {evaluation.ece(report.task):.3f}")
            ax.legend(loc="upper left")
    fig.suptitle(f"{evaluation.method}, {len(evaluation.items)} items")
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return path
