"""Hyper-parameter search over the config's knobs, by grouped cross-validation.

scikit-learn's HalvingRandomSearchCV draws `budget` candidates from KNOBS, scores
them on growing subsamples (successive halving on n_samples) with GroupKFold
folds over writer / document groups (edu_clf.records.writer_group: no writer is
on both sides of a fold), by the mean of the kind and topic macro-F1, and keeps
the best third each round. The search fits with calibration off: temperature
scaling never changes which class is most probable, so the F1 scores are the
same and the search is several times faster; the written config keeps the base
config's calibration.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from edu_clf.config import TrainConfig, train_config_from_dict
from edu_clf.errors import ConfigError
from edu_clf.model import EduClassifier
from edu_clf.records import Item, writer_group

# estimator parameter → (config table, key, values drawn from)
KNOBS: dict[str, tuple[str, str, list[Any]]] = {
    "C": ("model", "C", [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]),
    "context_weight": ("features", "context_weight", [0.25, 0.5, 0.75, 1.0, 1.5]),
    "cue_weight": ("features", "cue_weight", [0.5, 1.0, 1.5, 2.0]),
    "min_df": ("features", "min_df", [1, 2, 3]),
    "context_dropout": ("features", "context_dropout", [0.0, 0.25, 0.5, 0.75]),
}


def macro_f1_both(estimator: EduClassifier, X: Sequence[Any], y: np.ndarray) -> float:
    """The search's score: mean of the kind and topic macro-F1 (over the classes in y)."""
    y = np.asarray(y, dtype=object)
    predicted = estimator.predict(X)
    return float(np.mean([f1_score(y[:, t].astype(str), predicted[:, t].astype(str), average="macro",
                                    labels=sorted(set(y[:, t].astype(str))), zero_division=0) for t in range(2)]))


@dataclass(frozen=True)
class TuneResult:
    best_params: dict[str, Any]
    leaderboard: list[dict[str, Any]]   # best first: params, score, n_resources, iteration
    n_candidates: int


def item_groups(items: Sequence[Item]) -> np.ndarray:
    return np.array([writer_group(it.doc_id) for it in items], dtype=object)


def tune(estimator: EduClassifier, items: Sequence[Item], budget: int = 8, n_folds: int = 3, factor: int = 3,
         random_state: int = 13, n_jobs: int = 1, knobs: dict[str, tuple[str, str, list[Any]]] | None = None,
         ) -> TuneResult:
    """Successive-halving random search over `knobs` (default KNOBS) with grouped folds."""
    from sklearn.base import clone
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401  (makes the class importable)
    from sklearn.model_selection import HalvingRandomSearchCV

    items = list(items)
    knobs = KNOBS if knobs is None else knobs
    groups = item_groups(items)
    n_groups = len(set(groups))
    if n_groups < 2:
        raise ValueError("tuning needs labeled items from at least two documents or writers")
    if budget < 1:
        raise ValueError(f"budget {budget}; must be at least 1")
    y = np.array([[it.kind, it.topic] for it in items], dtype=object)
    space = {name: values for name, (_, _, values) in knobs.items()}
    n_iter = 1   # as successive halving counts: 1 + floor(log_factor(budget)) rounds
    while factor ** n_iter <= budget:
        n_iter += 1
    # the first round's items, so that the last round uses them all (but for the rest of a division)
    min_resources = max(1, len(items) // factor ** (n_iter - 1))
    search = HalvingRandomSearchCV(
        clone(estimator).set_params(calibration="none"), space, n_candidates=budget, factor=factor,
        resource="n_samples", min_resources=min_resources, max_resources=len(items),
        cv=GroupKFold(n_splits=min(n_folds, n_groups)), scoring=macro_f1_both, refit=False,
        random_state=random_state, n_jobs=n_jobs, error_score="raise")
    search.fit(items, y, groups=groups)
    res = search.cv_results_
    rows = [{"params": {k: _plain(v) for k, v in res["params"][i].items()},
             "score": float(res["mean_test_score"][i]), "std": float(res["std_test_score"][i]),
             "n_resources": int(res["n_resources"][i]), "iteration": int(res["iter"][i])}
            for i in range(len(res["params"]))]
    rows.sort(key=lambda r: (-r["iteration"], -r["score"]))
    return TuneResult(best_params={k: _plain(v) for k, v in search.best_params_.items()}, leaderboard=rows,
                      n_candidates=budget)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def grouped_cv_scores(estimator: EduClassifier, items: Sequence[Item], n_folds: int = 3) -> dict[str, float]:
    """Kind and topic macro-F1 of out-of-fold predictions, folds grouped by writer / document."""
    from edu_clf.model.issues import out_of_fold_proba

    probas, classes = out_of_fold_proba(estimator, items, n_folds)
    out = {}
    for t, task in enumerate(("kind", "topic")):
        gold = [getattr(it, task) for it in items]
        predicted = classes[t][probas[t].argmax(axis=1)]
        out[task] = float(f1_score(gold, predicted, average="macro", labels=sorted(set(gold)), zero_division=0))
    return out


def tuned_config(config: TrainConfig, params: dict[str, Any],
                 knobs: dict[str, tuple[str, str, list[Any]]] | None = None) -> TrainConfig:
    """The base config with the estimator parameters `params` written into their config keys."""
    knobs = KNOBS if knobs is None else knobs
    raw = config.to_dict()
    for name, value in params.items():
        table, key, _ = knobs[name]
        raw[table][key] = value
    return train_config_from_dict(raw)


def config_toml(config: TrainConfig, header: str = "") -> str:
    """A TOML file that load_train_config reads back as exactly `config`."""
    raw = config.to_dict()
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    scalars = {k: v for k, v in raw.items() if not isinstance(v, dict)}
    for key, value in scalars.items():
        lines.append(f"{key} = {_toml_value(value, key)}")
    for table, values in raw.items():
        if isinstance(values, dict):
            lines += ["", f"[{table}]"]
            for key, value in values.items():
                if value is None:
                    continue   # a key left out takes the dataclass default
                lines.append(f"{key} = {_toml_value(value, f'{table}.{key}')}")
    text = "\n".join(lines) + "\n"
    import tomllib
    if train_config_from_dict(tomllib.loads(text)) != config:
        raise ConfigError("this config cannot be written as TOML without changing it (a None value whose "
                          "default is not None)", hint="set the key explicitly in the base config")
    return text


def _toml_value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v, where) for v in value) + "]"
    raise ConfigError(f"config key {where} has a value TOML cannot hold: {value!r}")


def format_leaderboard(result: TuneResult, top: int = 10) -> str:
    names = list(result.leaderboard[0]["params"]) if result.leaderboard else []
    lines = [f"{'rank':>4} {'iter':>4} {'items':>6} {'score':>6} {'±':>5}  " + "  ".join(f"{n:>15}" for n in names)]
    for rank, row in enumerate(result.leaderboard[:top], 1):
        lines.append(f"{rank:4d} {row['iteration']:4d} {row['n_resources']:6d} {row['score']:6.3f} "
                     f"{row['std']:5.3f}  " + "  ".join(f"{row['params'][n]!s:>15}" for n in names))
    return "\n".join(lines)


__all__ = ["KNOBS", "TuneResult", "config_toml", "format_leaderboard", "grouped_cv_scores", "tune",
           "tuned_config"]
