"""configs/*.toml → frozen, typed config objects.

Configuration flows one way: a TOML file is read, `--set key=value` overrides
are applied, and the result is turned into frozen dataclasses that the rest of
the package receives as arguments. Nothing else in the package holds a
default that a config file could want to change.
"""
from __future__ import annotations

import copy
import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from edu_clf.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent


def _find_dir(name: str) -> Path:
    """Locate a data folder shipped with edu-clf (repo checkout or installed wheel)."""
    for candidate in (PACKAGE_DIR.parent / name, PACKAGE_DIR / "_data" / name):
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"edu-clf's {name}/ folder is missing", PACKAGE_DIR,
                      hint="reinstall with: pip install -e .")


def config_dir() -> Path:
    return _find_dir("configs")


def models_dir() -> Path:
    return _find_dir("models")


def project_root() -> Path:
    return config_dir().parent


# ---------------------------------------------------------------- segmenter


@dataclass(frozen=True)
class SegmentConfig:
    """Patterns and bounds the segmenter uses (configs/segment.toml)."""

    chrome_fullmatch: tuple[str, ...]
    chrome_search: tuple[str, ...]
    chrome_max_line_chars: int
    meta_fullmatch: tuple[str, ...]
    document_split: tuple[str, ...]
    break_artifacts: tuple[str, ...]
    min_space_run: int
    max_heading_chars: int
    max_subheading_chars: int
    min_shi_part_chars: int


def _file_version(path: str | Path | None, default: str) -> tuple[Path, int, int]:
    """(file, mtime, size): the key under which a config file's parse is cached, so that it is read
    again only when it changes (0, 0 when it cannot be stat'ed: _read_toml then reports the error)."""
    file = Path(path) if path else config_dir() / default
    try:
        stat = file.stat()
    except OSError:
        return file, 0, 0
    return file, stat.st_mtime_ns, stat.st_size


def load_segment_config(path: str | Path | None = None) -> SegmentConfig:
    """The segmenter's config; read again only when the file changes (segment_text asks once per report)."""
    return _parse_segment_config(*_file_version(path, "segment.toml"))


@lru_cache(maxsize=8)
def _parse_segment_config(path: Path, mtime_ns: int, size: int) -> SegmentConfig:
    raw = _read_toml(path)
    try:
        return SegmentConfig(
            chrome_fullmatch=tuple(raw["chrome"]["fullmatch"]),
            chrome_search=tuple(raw["chrome"]["search"]),
            chrome_max_line_chars=int(raw["chrome"]["max_line_chars"]),
            meta_fullmatch=tuple(raw["meta"]["fullmatch"]),
            document_split=tuple(raw["documents"]["split"]),
            break_artifacts=tuple(raw["breaks"]["artifacts"]),
            min_space_run=int(raw["breaks"]["min_space_run"]),
            max_heading_chars=int(raw["outline"]["max_heading_chars"]),
            max_subheading_chars=int(raw["outline"]["max_subheading_chars"]),
            min_shi_part_chars=int(raw["outline"]["min_shi_part_chars"]),
        )
    except KeyError as exc:
        raise ConfigError(f"missing key {exc} in the segment config", path) from None


@dataclass(frozen=True)
class LimitsConfig:
    """Bounds on what edu-clf reads ([limits] in configs/segment.toml)."""

    max_input_bytes: int = 256 * 1024 * 1024   # a report, a labeled file, stdin, one JSONL line
    max_model_bytes: int = 2 * 1024 * 1024 * 1024   # decompressed members of a .skops file


def load_limits(path: str | Path | None = None) -> LimitsConfig:
    """The read limits; the [limits] table of configs/segment.toml (read again when the file changes)."""
    return _parse_limits(*_file_version(path, "segment.toml"))


@lru_cache(maxsize=8)
def _parse_limits(path: Path, mtime_ns: int, size: int) -> LimitsConfig:
    raw = _read_toml(path).get("limits", {})
    limits = _build(LimitsConfig, raw, "limits.") if isinstance(raw, dict) else None
    if limits is None or limits.max_input_bytes < 1 or limits.max_model_bytes < 1:
        raise ConfigError("[limits] must hold positive byte counts", path)
    return limits


# ---------------------------------------------------------------- PDF and Word readers


@dataclass(frozen=True)
class ReadLimits:
    max_decompressed_bytes: int
    max_member_bytes: int


@dataclass(frozen=True)
class LayoutRules:
    paragraph_start: tuple[str, ...]
    sentence_end: str
    end_matter: tuple[str, ...]
    body_chars: int


@dataclass(frozen=True)
class PdfRules:
    page_number: tuple[str, ...]
    edge_lines: int
    repeat_share: float
    min_text_chars: int
    full_line_slack: float
    indent_chars: float
    paragraph_gap: float


@dataclass(frozen=True)
class DocxRules:
    table_cell_separator: str
    table_row_separator: str


@dataclass(frozen=True)
class DocRules:
    timeout_seconds: float


@dataclass(frozen=True)
class ReadConfig:
    """How PDF and Word files are read (configs/read.toml)."""

    limits: ReadLimits
    layout: LayoutRules
    pdf: PdfRules
    docx: DocxRules
    doc: DocRules


def load_read_config(path: str | Path | None = None) -> ReadConfig:
    """The PDF / Word readers' config (read again only when the file changes)."""
    return _parse_read_config(*_file_version(path, "read.toml"))


@lru_cache(maxsize=8)
def _parse_read_config(path: Path, mtime_ns: int, size: int) -> ReadConfig:
    try:
        config = _build(ReadConfig, _read_toml(path), "")
    except ConfigError as exc:
        raise ConfigError(exc.message, path) from None
    if config.limits.max_decompressed_bytes < 1 or config.limits.max_member_bytes < 1:
        raise ConfigError("[limits] must hold positive byte counts", path)
    return config


@dataclass(frozen=True)
class PrepareConfig:
    """How copied text is put right before segmenting ([prepare] in configs/segment.toml; edu_clf/segment/prepare.py)."""

    wrap_min_lines: int = 6             # fewer candidate lines than this: never taken as hard-wrapped
    wrap_share: float = 0.5             # share of lines near the wrap width that makes a text hard-wrapped
    wrap_max_width: int = 120           # display columns (a Han character is 2); wider lines are paragraphs
    wrap_tolerance: float = 0.15        # a line this much shorter than the wrap width still ends a wrap
    page_break: tuple[str, ...] = ()    # lines that are page breaks: the lines around them may be one sentence
    block_heads: tuple[str, ...] = ()   # a line that starts a preview block (摘要, 内容预览): the block goes
    block_max_lines: int = 3
    compilation_title: tuple[str, ...] = ()   # 《…汇编(5篇)》: a title that announces several reports
    toc_heads: tuple[str, ...] = ()     # 目录
    line_end: str = "。！？；：…”’）)】》!?;:"   # a line ending in one of these ends a sentence


def load_prepare_config(path: str | Path | None = None) -> PrepareConfig:
    """The [prepare] table of configs/segment.toml (read again when the file changes)."""
    return _parse_prepare(*_file_version(path, "segment.toml"))


@lru_cache(maxsize=8)
def _parse_prepare(path: Path, mtime_ns: int, size: int) -> PrepareConfig:
    raw = _read_toml(path).get("prepare", {})
    if not isinstance(raw, dict):
        raise ConfigError("[prepare] must be a table", path)
    return _build(PrepareConfig, raw, "prepare.")


# ---------------------------------------------------------------- labels


@dataclass(frozen=True)
class Label:
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class LabelSchema:
    """Kind and topic ids of the labeling guide (configs/labels.toml)."""

    schema_version: int
    kinds: tuple[Label, ...]
    topics: tuple[Label, ...]

    @property
    def kind_ids(self) -> tuple[str, ...]:
        return tuple(label.id for label in self.kinds)

    @property
    def topic_ids(self) -> tuple[str, ...]:
        return tuple(label.id for label in self.topics)

    def ids(self, task: str) -> tuple[str, ...]:
        return self.kind_ids if task == "kind" else self.topic_ids

    def name(self, task: str, label_id: str) -> str:
        for label in self.kinds if task == "kind" else self.topics:
            if label.id == label_id:
                return label.name
        return label_id

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_label_schema(path: str | Path | None = None) -> LabelSchema:
    where = Path(path) if path else config_dir() / "labels.toml"
    raw = _read_toml(where)
    try:
        return LabelSchema(
            schema_version=int(raw["schema_version"]),
            kinds=tuple(Label(**entry) for entry in raw["kinds"]),
            topics=tuple(Label(**entry) for entry in raw["topics"]),
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"malformed label schema: {exc}", where) from None


# ---------------------------------------------------------------- training run


@dataclass(frozen=True)
class TokenizerConfig:
    backend: str = "rjieba"        # "rjieba" (fast) or "jieba" (reference); same tokens
    hmm: bool = False


@dataclass(frozen=True)
class FeatureConfig:
    text_words: bool = True
    word_ngram_max: int = 2
    text_chars: bool = True
    char_ngram_max: int = 3
    context: bool = True
    cues: bool = True
    min_df: int = 2
    max_df: float = 1.0
    sublinear_tf: bool = True
    context_weight: float = 1.0
    cue_weight: float = 1.0
    engine: str = "fast"            # "fast" (edu_clf.features.vectorize) or "reference" (scikit-learn analyzers)
    kind_blocks: tuple[str, ...] = ()     # blocks the kind head sees (empty: all)
    topic_blocks: tuple[str, ...] = ()    # blocks the topic head sees (empty: all)
    normalize: bool = False         # features see edu_clf.normalize's form (t2s, punctuation, pinyin)
    context_dropout: float = 0.0    # share of training items also seen without title and headings
    outer_dropout: float = 0.0      # share of items under 2+ headings also seen as page 2 shows them (no title, no outermost heading)
    neighbours: bool = False        # cue counts of the items before and after (needs cues = true)


@dataclass(frozen=True)
class ModelConfig:
    classifier: str = "logreg"      # "logreg" or "linear_svc" (calibrated)
    C: float = 4.0
    class_weight: str | None = "balanced"
    max_iter: int = 2000
    tol: float = 1e-4
    topic_tol: float | None = None   # stopping tolerance of the topic head (None: tol)
    calibration: str = "none"        # "temperature": each head's scores scaled on grouped out-of-fold scores
    calibration_folds: int = 2
    sequence: tuple[str, ...] = ()   # tasks whose scores also read the items before and after (a second stage)
    sequence_C: float = 1.0          # inverse regularization of that stage


@dataclass(frozen=True)
class DataConfig:
    train: tuple[str, ...] = ()     # globs relative to the project root
    model: str = "models/default.skops"   # the full estimator: `evaluate`, `--explain`, retraining
    runtime: str = "models/default.npz"   # the numpy-only artifact `predict`, `report` and `info` read


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs, seed included; stored in the model file."""

    seed: int
    tokenizer: TokenizerConfig
    features: FeatureConfig
    model: ModelConfig
    data: DataConfig

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _build(cls: type, raw: dict[str, Any], where: str) -> Any:
    """Build a (nested) frozen dataclass from a dict, rejecting unknown keys."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(raw) - names
    if unknown:
        raise ConfigError(f"unknown key {where}{sorted(unknown)[0]!r}; allowed: {', '.join(sorted(names))}")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"missing key {where}{f.name}")
            continue
        value, hint = raw[f.name], hints[f.name]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}{f.name} must be a table")
            value = _build(hint, value, f"{where}{f.name}.")
        else:
            value = _typed(value, hint, f"{where}{f.name}")
        kwargs[f.name] = value
    return cls(**kwargs)


def _typed(value: Any, hint: Any, name: str) -> Any:
    """`value` checked against the field's type (an int is a float; nothing else is coerced)."""
    args = typing.get_args(hint)
    if type(None) in args:
        if value is None:
            return None
        rest = [a for a in args if a is not type(None)]
        hint, args = rest[0], typing.get_args(rest[0])
    origin = typing.get_origin(hint)
    ok: bool
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
            and abs(value) != float("inf")
        value = float(value) if ok else value
    elif hint is str:
        ok = isinstance(value, str)
    elif origin is tuple:
        ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    elif origin is dict:
        ok = isinstance(value, dict)
    else:
        ok = True
    if not ok:
        want = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(
            hint, "a list of strings" if origin is tuple else "a table" if origin is dict else str(hint))
        raise ConfigError(f"{name}={value!r} must be {want}")
    return value


# (section, key): (lowest allowed, lowest is allowed too, highest or None) for numeric training keys
RANGES: dict[tuple[str, str], tuple[float, bool, float | None]] = {
    ("features", "word_ngram_max"): (1, True, None), ("features", "char_ngram_max"): (1, True, None),
    ("features", "min_df"): (1, True, None), ("features", "max_df"): (0, False, 1.0),
    ("features", "context_weight"): (0, True, None), ("features", "cue_weight"): (0, True, None),
    ("model", "C"): (0, False, None), ("model", "max_iter"): (1, True, None), ("model", "tol"): (0, False, None),
    ("model", "topic_tol"): (0, False, None), ("model", "sequence_C"): (0, False, None),
}


def _check_ranges(config: "TrainConfig") -> None:
    for (section, key), (low, inclusive, high) in RANGES.items():
        value = getattr(getattr(config, section), key)
        if value is None:
            continue
        if value < low or (value == low and not inclusive) or (high is not None and value > high):
            bound = f"{'at least' if inclusive else 'greater than'} {low}" + (f" and at most {high}" if high else "")
            raise ConfigError(f"{section}.{key}={value!r}; must be {bound}")


def _parse_value(text: str) -> Any:
    """Parse the right side of --set key=value as a TOML value, else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(raw: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Apply dotted `key=value` overrides to a raw config dict (returns a copy)."""
    raw = copy.deepcopy(raw)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value, e.g. model.C=2.0")
        key, value = item.split("=", 1)
        parts = key.strip().split(".")
        node = raw
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {item!r}: {part} is not a table")
        node[parts[-1]] = _parse_value(value.strip())
    return raw


def train_config_from_dict(raw: dict[str, Any]) -> TrainConfig:
    config = _build(TrainConfig, raw, "")
    _check_ranges(config)
    if config.tokenizer.backend not in ("rjieba", "jieba"):
        raise ConfigError(f"tokenizer.backend={config.tokenizer.backend!r}; allowed: rjieba, jieba")
    if config.model.classifier not in ("logreg", "linear_svc"):
        raise ConfigError(f"model.classifier={config.model.classifier!r}; allowed: logreg, linear_svc")
    if config.model.calibration not in ("none", "temperature"):
        raise ConfigError(f"model.calibration={config.model.calibration!r}; allowed: none, temperature")
    if config.model.calibration_folds < 2:
        raise ConfigError(f"model.calibration_folds={config.model.calibration_folds}; must be at least 2")
    bad = [t for t in config.model.sequence if t not in ("kind", "topic")]
    if bad:
        raise ConfigError(f"model.sequence names {bad}; allowed: kind, topic")
    f = config.features
    for key in ("context_dropout", "outer_dropout"):
        if not 0.0 <= getattr(f, key) <= 1.0:
            raise ConfigError(f"features.{key}={getattr(f, key)}; must be between 0 and 1")
    if f.engine not in ("fast", "reference"):
        raise ConfigError(f"features.engine={f.engine!r}; allowed: fast, reference")
    if f.engine == "fast" and (f.char_ngram_max > 3 or f.word_ngram_max > 2):
        raise ConfigError("features.engine=fast counts characters up to 3-grams and words up to 2-grams",
                          hint="set features.engine=reference for longer n-grams")
    on = {"words": f.text_words, "chars": f.text_chars, "context": f.context, "cues": f.cues}
    for key in ("kind_blocks", "topic_blocks"):
        bad = [b for b in getattr(f, key) if not on.get(b)]
        if bad:
            raise ConfigError(f"features.{key} names {bad}, which is not a switched-on block; "
                              f"on: {[b for b, v in on.items() if v]}")
    if not (config.features.text_words or config.features.text_chars or config.features.context
            or config.features.cues):
        raise ConfigError("features: at least one feature block must be on")
    return config


def default_runtime_path() -> Path:
    """The shipped runtime artifact named in configs/default.toml ([data] runtime)."""
    return project_root() / load_train_config().data.runtime


def file_hashes() -> dict[str, str]:
    """sha256 of the config files a model's features and labels depend on (recorded in model files)."""
    import hashlib
    return {name: hashlib.sha256((config_dir() / name).read_bytes()).hexdigest()
            for name in ("labels.toml", "cues.toml", "segment.toml")}


def default_model_path() -> Path:
    """The shipped default model named in configs/default.toml ([data] model)."""
    return project_root() / load_train_config().data.model


def load_train_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> TrainConfig:
    """Read a training config (default: configs/default.toml) and apply overrides."""
    where = Path(path) if path else config_dir() / "default.toml"
    raw = _read_toml(where)
    try:
        config = train_config_from_dict(raw)
    except ConfigError as exc:
        raise ConfigError(exc.message, where, hint=exc.hint) from None
    if not overrides:
        return config
    raw = apply_overrides(raw, overrides)
    try:   # the file is right: what is wrong now is one of the --set values
        return train_config_from_dict(raw)
    except ConfigError as exc:
        raise ConfigError(f"--set {' '.join(overrides)}: {exc.message}", hint=exc.hint) from None


# ---------------------------------------------------------------- HTML report


@dataclass(frozen=True)
class ReportConfig:
    """How `edu-clf report` draws a page (configs/report.toml)."""

    uncertain_below: float
    explain_terms: int
    leading_topics: int
    colors: dict[str, str]


def load_report_config(path: str | Path | None = None) -> ReportConfig:
    where = Path(path) if path else config_dir() / "report.toml"
    try:
        return _build(ReportConfig, _read_toml(where), "")
    except ConfigError as exc:
        raise ConfigError(exc.message, where, hint=exc.hint) from None


# ---------------------------------------------------------------- cue lexicons


@dataclass(frozen=True)
class CueLexicons:
    """Named word lists for cue features (configs/cues.toml)."""

    heading: dict[str, tuple[str, ...]] = field(default_factory=dict)
    title: dict[str, tuple[str, ...]] = field(default_factory=dict)
    text: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: {n: list(v) for n, v in getattr(self, k).items()} for k in ("heading", "title", "text")}


def load_cues(path: str | Path | None = None) -> CueLexicons:
    where = Path(path) if path else config_dir() / "cues.toml"
    raw = _read_toml(where)
    try:
        return CueLexicons(**{scope: {name: tuple(words) for name, words in raw[scope].items()}
                              for scope in ("heading", "title", "text")})
    except (KeyError, AttributeError) as exc:
        raise ConfigError(f"malformed cue lexicons: {exc}", where) from None


MAX_CONFIG_BYTES = 4 * 1024 * 1024   # a config file larger than this is not a config file


# ---------------------------------------------------------------- silver-label rules


@dataclass(frozen=True)
class SilverRules:
    """Rules of `edu-clf bootstrap` (configs/silver.toml): extra heading cues per kind, titles that
    give no kind, the section-position rule, topic words."""

    heading_extra: dict[str, tuple[str, ...]]
    mixed_titles: tuple[str, ...]
    position_rule: bool
    topics: dict[str, tuple[str, ...]]


def load_silver_rules(path: str | Path | None = None) -> SilverRules:
    where = Path(path) if path else config_dir() / "silver.toml"
    raw = _read_toml(where)
    try:
        kind = raw["kind"]
        return SilverRules(heading_extra={k: tuple(v) for k, v in kind["heading_extra"].items()},
                           mixed_titles=tuple(kind["mixed_titles"]), position_rule=bool(kind["position_rule"]),
                           topics={k: tuple(v) for k, v in raw["topic"].items()})
    except (KeyError, AttributeError, TypeError) as exc:
        raise ConfigError(f"malformed silver rules: missing or bad {exc}", where) from None


def _read_toml(path: Path) -> dict[str, Any]:
    import os
    import stat as stat_

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ConfigError("config file not found", path) from None
    except IsADirectoryError:
        raise ConfigError("is a folder, not a config file", path, hint="give a .toml file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the config: {exc.strerror}", path) from None
    mode = os.fstat(fd).st_mode
    if not stat_.S_ISREG(mode):
        os.close(fd)
        if stat_.S_ISDIR(mode):
            raise ConfigError("is a folder, not a config file", path, hint="give a .toml file")
        raise ConfigError("is not a regular file (a device, pipe or socket)", path, hint="give a .toml file")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB: not a config file", path)
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 (byte {exc.start})", path, hint="save the config as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path) from None
    except RecursionError:
        raise ConfigError("not valid TOML: nested too deeply", path) from None
