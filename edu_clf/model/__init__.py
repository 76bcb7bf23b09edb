"""The estimator: one feature union, two linear heads (kind and topic).

`EduClassifier` is a scikit-learn estimator: parameters are stored in
`__init__` and nothing else, learning happens in `fit`, it clones, and it
composes with cross-validation and search. `y` has two columns, kind and
topic; `predict` returns the same shape, `predict_proba` a list of two
probability arrays (as MultiOutputClassifier does).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from edu_clf import kernels
from edu_clf.config import CueLexicons, TrainConfig
from edu_clf.features import Record, Records, block_feature_names, build_features, normalized, to_records
from edu_clf.features.base import context_removed, outer_removed, without_context, without_outer
from edu_clf.features.blocks import CONTEXT_BLOCKS
from edu_clf.records import writer_group
from edu_clf.runtime import scale, sequenced

TASKS = ("kind", "topic")


class EduClassifier(ClassifierMixin, BaseEstimator):
    """TF-IDF word / character / context features and lexicon cues → two linear heads; a head named in
    `sequence` has a second stage that also reads the scores of the items before and after each item."""

    def __init__(self, tokenizer: str = "rjieba", hmm: bool = False, text_words: bool = True,
                 word_ngram_max: int = 2, text_chars: bool = True, char_ngram_max: int = 3,
                 context: bool = True, cues: bool = True, min_df: int = 2, max_df: float = 1.0,
                 sublinear_tf: bool = True, context_weight: float = 1.0, cue_weight: float = 1.0,
                 cue_lexicons: dict | None = None, classifier: str = "logreg", C: float = 4.0,
                 class_weight: str | None = "balanced", max_iter: int = 2000, tol: float = 1e-4,
                 topic_tol: float | None = None, random_state: int = 13,
                 engine: str = "fast", kind_blocks: tuple[str, ...] = (), topic_blocks: tuple[str, ...] = (),
                 normalize: bool = False, context_dropout: float = 0.0, calibration: str = "none",
                 calibration_folds: int = 2, neighbours: bool = False, sequence: tuple[str, ...] = (),
                 sequence_C: float = 1.0, outer_dropout: float = 0.0) -> None:
        self.tokenizer = tokenizer
        self.hmm = hmm
        self.text_words = text_words
        self.word_ngram_max = word_ngram_max
        self.text_chars = text_chars
        self.char_ngram_max = char_ngram_max
        self.context = context
        self.cues = cues
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.context_weight = context_weight
        self.cue_weight = cue_weight
        self.cue_lexicons = cue_lexicons
        self.classifier = classifier
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol
        self.topic_tol = topic_tol
        self.random_state = random_state
        self.engine = engine
        self.kind_blocks = kind_blocks
        self.topic_blocks = topic_blocks
        self.normalize = normalize
        self.context_dropout = context_dropout
        self.calibration = calibration
        self.calibration_folds = calibration_folds
        self.neighbours = neighbours
        self.sequence = sequence
        self.sequence_C = sequence_C
        self.outer_dropout = outer_dropout

    @classmethod
    def from_config(cls, config: TrainConfig, cues: CueLexicons | None = None) -> "EduClassifier":
        f = config.features
        return cls(tokenizer=config.tokenizer.backend, hmm=config.tokenizer.hmm, text_words=f.text_words,
                   word_ngram_max=f.word_ngram_max, text_chars=f.text_chars, char_ngram_max=f.char_ngram_max,
                   context=f.context, cues=f.cues, min_df=f.min_df, max_df=f.max_df, sublinear_tf=f.sublinear_tf,
                   context_weight=f.context_weight, cue_weight=f.cue_weight,
                   cue_lexicons=cues.to_dict() if cues is not None else None,
                   classifier=config.model.classifier, C=config.model.C, class_weight=config.model.class_weight,
                   max_iter=config.model.max_iter, tol=config.model.tol, topic_tol=config.model.topic_tol,
                   random_state=config.seed,
                   engine=config.features.engine,
                   kind_blocks=tuple(f.kind_blocks), topic_blocks=tuple(f.topic_blocks),
                   normalize=f.normalize, context_dropout=f.context_dropout,
                   calibration=config.model.calibration, calibration_folds=config.model.calibration_folds,
                   neighbours=f.neighbours, sequence=tuple(config.model.sequence),
                   sequence_C=config.model.sequence_C, outer_dropout=f.outer_dropout)

    def _head(self, n_min: int, task: str):
        tol = self.topic_tol if task == "topic" and self.topic_tol is not None else self.tol
        if self.classifier == "logreg":
            return LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter,
                                      tol=tol, random_state=self.random_state)
        if self.classifier == "linear_svc":
            svc = LinearSVC(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter, tol=tol,
                            random_state=self.random_state)
            return CalibratedClassifierCV(svc, cv=max(2, min(3, n_min)), method="sigmoid")
        raise ValueError(f"classifier={self.classifier!r}; allowed: logreg, linear_svc")

    def fit(self, X: Sequence[Any], y: Any, sample_weight: Any = None) -> "EduClassifier":
        """Fit both heads; `sample_weight` (one weight per item, e.g. user labels above, silver below
        gold) is passed to both heads (and to the out-of-fold fits and the sequence stage)."""
        y = np.asarray(y, dtype=object)
        if y.ndim != 2 or y.shape[1] != 2:
            raise ValueError("y must have two columns: kind and topic")
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} items but y has {len(y)} rows")
        weights = None
        if sample_weight is not None:
            weights = np.asarray(sample_weight, dtype=np.float64)
            if weights.shape != (len(X),) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
                raise ValueError(f"sample_weight must hold one finite weight >= 0 per item ({len(X)})")
        groups = _groups(X)
        records = originals = self._records(X)
        copies = [(self.context_dropout, without_context, context_removed, 0),
                  (getattr(self, "outer_dropout", 0.0), without_outer, outer_removed, 1)]
        for share, choose, copy, salt in copies:
            if share > 0:
                extra = choose(originals, share, self.random_state + salt)
                records = Records(records + copy(originals[i] for i in extra))
                y = np.concatenate([y, y[extra]]) if extra else y
                if weights is not None and extra:
                    weights = np.concatenate([weights, weights[extra]])
        self.features_ = build_features(
            self.tokenizer, self.hmm, self.text_words, self.word_ngram_max, self.text_chars, self.char_ngram_max,
            self.context, self.cues, self.min_df, self.max_df, self.sublinear_tf, self.context_weight,
            self.cue_weight, self.cue_lexicons, self.engine, self.neighbours)
        if records is originals:
            matrix = self.features_.fit_transform(records)
        else:   # the vocabularies and idf come from the items as given: copies must not double a term's df
            matrix = self.features_.fit(originals).transform(records)
        self.block_slices_ = _block_slices(self.features_)
        self.head_columns_ = [self._columns(self.kind_blocks), self._columns(self.topic_blocks)]
        self.heads_ = []
        for column, task in enumerate(TASKS):
            # a head that reads no title or heading would see the copies as the same rows again
            rows = slice(None) if self._reads_context(column) else slice(0, len(originals))
            labels = y[rows, column].astype(str)
            values, counts = np.unique(labels, return_counts=True)
            if len(values) < 2:
                raise ValueError(f"the training data has one {task} only ({values[0]!r}); need at least two")
            head = clone(self._head(int(counts.min()), task)).fit(
                _select(matrix[rows], self.head_columns_[column]), labels,
                sample_weight=None if weights is None else weights[rows])
            self.heads_.append(head)
        self.classes_ = [head.classes_ for head in self.heads_]
        self.__dict__.pop("_scorer_cache", None)
        self.n_features_ = matrix.shape[1]
        self.temperatures_ = [1.0, 1.0]
        self.sequence_: list[tuple[int, np.ndarray, np.ndarray]] = []
        sequence = getattr(self, "sequence", ())
        if self.calibration == "temperature" or sequence:
            oof = self._out_of_fold(X, y[: len(X)], groups, None if weights is None else weights[: len(X)],
                                    bare=bool(sequence))
            if oof is not None:
                clean, bare = oof
                if self.calibration == "temperature":
                    self.temperatures_ = [fit_temperature(clean[task], np.searchsorted(
                        self.classes_[task], y[: len(X), task].astype(str))) for task in range(2)]
                self.sequence_ = self._fit_sequence(to_records(X), y[: len(X)], clean, bare, sequence,
                                                    None if weights is None else weights[: len(X)])
        return self

    def _out_of_fold(self, X: Sequence[Any], y: np.ndarray, groups: np.ndarray, weights: np.ndarray | None,
                     bare: bool) -> tuple[list[np.ndarray], list[np.ndarray] | None] | None:
        """Out-of-fold probabilities per head, folds grouped by writer/document: of the items as given and,
        with `bare`, of the same items without title and headings. None where folds cannot be made."""
        from sklearn.model_selection import GroupKFold

        n_groups = len(set(groups))
        if n_groups < 2:
            return None
        inner = clone(self).set_params(calibration="none", sequence=())
        oof = [np.zeros((len(X), len(c))) for c in self.classes_]
        oof_bare = [np.zeros((len(X), len(c))) for c in self.classes_] if bare else None
        X = list(X)
        for train, test in GroupKFold(n_splits=min(self.calibration_folds, n_groups)).split(X, groups=groups):
            if any(len(set(y[train, col])) < 2 for col in range(2)):
                return None
            fold = clone(inner).fit([X[i] for i in train], y[train],
                                    sample_weight=None if weights is None else weights[train])
            held_out = to_records([X[i] for i in test])
            copies = [(oof, held_out)]
            if bare:
                copies.append((oof_bare, context_removed(held_out)))
            for out, records in copies:
                for task, proba in enumerate(fold.predict_proba(records)):
                    columns = np.searchsorted(self.classes_[task], fold.classes_[task])
                    out[task][np.ix_(test, columns)] = proba
        return oof, oof_bare

    def _fit_sequence(self, records: Sequence[Record], y: np.ndarray, clean: list[np.ndarray],
                      bare: list[np.ndarray] | None, tasks: tuple[str, ...],
                      weights: np.ndarray | None = None) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """The sequence stage of each task in `tasks`: (task, coef, intercept) of a multinomial logistic
        regression over sequence_features of the calibrated out-of-fold probabilities, of the items as
        given and without their context (so that it learns how far neighbours count when headings are
        missing). No class weights: its scores are to mean what they say."""
        from edu_clf.runtime import sequence_features

        stages = []
        for task in (TASKS.index(t) for t in tasks):
            if len(self.classes_[task]) < 3 or bare is None:
                continue   # binary heads have one coefficient row: no multinomial stage
            features = np.vstack([sequence_features(scale(p[task], self.temperatures_[task]), r)
                                  for p, r in ((clean, records), (bare, context_removed(records)))])
            labels = np.concatenate([y[:, task].astype(str)] * 2)
            stage = LogisticRegression(C=self.sequence_C, max_iter=self.max_iter, random_state=self.random_state)
            stage.fit(features, labels, sample_weight=None if weights is None else np.concatenate([weights] * 2))
            if list(stage.classes_) != list(self.classes_[task]):
                continue   # a class the folds never saw
            stages.append((task, np.ascontiguousarray(stage.coef_, dtype=np.float64),
                           np.asarray(stage.intercept_, dtype=np.float64)))
        return stages

    def sequenced(self, probas: list[np.ndarray], records: Sequence[Any]) -> list[np.ndarray]:
        """The probabilities after the sequence stage (models fitted without one: as they are)."""
        return sequenced(probas, records, getattr(self, "sequence_", []))

    def _records(self, X: Sequence[Any]) -> "Records":
        records = to_records(X)
        return normalized(records) if getattr(self, "normalize", False) else records

    def _calibrated(self, probas: list[np.ndarray]) -> list[np.ndarray]:
        temperatures = getattr(self, "temperatures_", None)
        if not temperatures or all(t == 1.0 for t in temperatures):
            return probas
        return [scale(p, t) for p, t in zip(probas, temperatures)]

    @property
    def columns_per_head(self) -> list[np.ndarray | None]:
        """The feature columns each head reads (None: all); models from before head blocks read all."""
        return getattr(self, "head_columns_", [None] * len(self.heads_))

    def _reads_context(self, head: int) -> bool:
        """Whether the head (0 kind, 1 topic) reads a block made from titles and headings (CONTEXT_BLOCKS)."""
        blocks = (self.kind_blocks, self.topic_blocks)[head] or tuple(self.block_slices_)
        return any(b in CONTEXT_BLOCKS for b in blocks)

    def _columns(self, blocks: tuple[str, ...]) -> np.ndarray | None:
        """Column indices of the named feature blocks (None: all columns)."""
        if not blocks:
            return None
        unknown = [b for b in blocks if b not in self.block_slices_]
        if unknown:
            raise ValueError(f"feature block(s) {unknown} are not switched on; on: {list(self.block_slices_)}")
        return np.concatenate([np.arange(*self.block_slices_[b]) for b in blocks])

    def transform(self, X: Sequence[Any]):
        """The feature matrix of X (sparse)."""
        check_is_fitted(self, "heads_")
        return self.features_.transform(self._records(X))

    def predict_proba_matrix(self, matrix, records: Sequence[Any] = ()) -> list[np.ndarray]:
        """Probabilities from the feature matrix; `records` (the matrix's items) for the sequence stage."""
        return self.sequenced(self._calibrated([head.predict_proba(_select(matrix, cols))
                                                for head, cols in zip(self.heads_, self.columns_per_head)]), records)

    def predict_proba(self, X: Sequence[Any]) -> list[np.ndarray]:
        """Class probabilities per task: [kind (n, k), topic (n, t)], columns in `classes_` order."""
        check_is_fitted(self, "heads_")
        records = to_records(X)   # made once: the features and the sequence stage read them
        scorer = self._scorer()
        if scorer is None:
            return self.predict_proba_matrix(self.transform(records), records)
        return self.sequenced(self._calibrated(scorer.predict_proba(self.features_, self._records(records))), records)

    def _scorer(self) -> "_KernelScorer | None":
        """The C path for the heads, when the kernels are built and the heads are multinomial logistic."""
        if kernels.KERNELS is None:
            return None
        if "_scorer_cache" not in self.__dict__:
            self.__dict__["_scorer_cache"] = _KernelScorer.build(self)
        return self.__dict__["_scorer_cache"]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_scorer_cache", None)   # a cache of the heads' weights, rebuilt on first use
        return state

    def predict(self, X: Sequence[Any]) -> np.ndarray:
        """Labels as an (n, 2) array of [kind, topic]."""
        probas = self.predict_proba(X)
        return np.column_stack([classes[p.argmax(axis=1)] for classes, p in zip(self.classes_, probas)])

    def score(self, X: Sequence[Any], y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy over both tasks."""
        y = np.asarray(y, dtype=object)
        return float((self.predict(X) == y).mean())


def _groups(X: Sequence[Any]) -> np.ndarray:
    """The writer/document group of each item (plain strings: one group each)."""
    out = []
    for i, x in enumerate(X):
        doc_id = x.get("doc_id") if isinstance(x, dict) else getattr(x, "doc_id", None)
        out.append(writer_group(str(doc_id)) if doc_id is not None else f"#{i}")
    return np.asarray(out, dtype=object)


def fit_temperature(proba: np.ndarray, gold: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of the gold classes."""
    from scipy.optimize import minimize_scalar

    rows = np.arange(len(gold))

    def nll(log_t: float) -> float:
        return float(-np.log(np.clip(scale(proba, float(np.exp(log_t)))[rows, gold], 1e-12, 1.0)).mean())

    return float(np.exp(minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded").x))


def _select(matrix, columns: np.ndarray | None):
    return matrix if columns is None else matrix[:, columns]


def _block_slices(union) -> dict[str, tuple[int, int]]:
    """(start, stop) columns of each block of a fitted FeatureUnion, in order."""
    out, start = {}, 0
    for name, names in block_feature_names(union):
        out[name] = (start, start + len(names))
        start += len(names)
    return out


class _KernelScorer:
    """The heads' probabilities without building the union's matrix: each block's rows go
    through the C kernel `csr_scores` against the coefficients of its columns.

    FeatureUnion stacks the blocks side by side and each head multiplies its columns by
    its coefficients; scipy sums a row's products in column order. Adding the blocks'
    products into one output, block after block, makes the same sums in the same order, and
    a head that does not read a block gets zero coefficients there (adding 0.0 changes
    nothing). The decision function and softmax are scikit-learn's steps for multinomial
    logistic regression, so the probabilities are the same numbers (tests/test_model.py).
    """

    def __init__(self, weights: np.ndarray, widths: list[int], intercepts: list[np.ndarray]) -> None:
        self.weights = weights          # (n_features, all heads' classes): one row read per feature
        self.widths = widths            # classes per head: its columns of `weights`
        self.intercepts = intercepts

    @classmethod
    def build(cls, est: "EduClassifier") -> "_KernelScorer | None":
        blocks, intercepts = [], []
        for head, cols in zip(est.heads_, est.columns_per_head):
            if not isinstance(head, LogisticRegression) or len(head.classes_) <= 2:
                return None   # binary and calibrated heads take scikit-learn's own path
            coef = np.asarray(head.coef_, dtype=np.float64)
            full = np.zeros((est.n_features_, coef.shape[0]), dtype=np.float64)
            full[np.arange(est.n_features_) if cols is None else cols] = coef.T
            blocks.append(full)
            intercepts.append(np.asarray(head.intercept_, dtype=np.float64))
        return cls(np.ascontiguousarray(np.hstack(blocks)), [b.shape[1] for b in blocks], intercepts)

    def predict_proba(self, union, records: Sequence[Any]) -> list[np.ndarray]:
        from sklearn.utils.extmath import softmax

        scores = np.zeros((len(records), self.weights.shape[1]), dtype=np.float64)
        union_weights = union.transformer_weights or {}
        offset = 0
        for name, transformer in union.transformer_list:
            block = transformer.transform(records)
            weight = union_weights.get(name)
            data = block.data if weight is None else block.data * weight   # as FeatureUnion scales a block
            kernels.KERNELS.csr_scores(block.indptr.astype(np.int64, copy=False),
                                       block.indices.astype(np.int32, copy=False),
                                       np.ascontiguousarray(data, dtype=np.float64), offset, self.weights, scores)
            offset += block.shape[1]
        ends = np.cumsum(self.widths)
        return [softmax(scores[:, end - width:end] + b, copy=False)
                for end, width, b in zip(ends, self.widths, self.intercepts)]
