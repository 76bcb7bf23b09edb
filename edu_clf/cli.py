"""The `edu-clf` command: parse options, call the library, print.

Every command turns an EduClfError into one line on stderr and an exit code
(2 usage, 1 data); `--debug` shows the traceback instead.
"""
from __future__ import annotations

import functools
import json
import os
import signal
import sys
import threading
import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated, Callable, Iterable, Iterator, NoReturn, Optional, TypeVar

# Before numpy is first imported: edu-clf does no dense linear algebra, and OpenBLAS's helper
# threads spin from import to exit (16% of the CPU of `predict --text`; in a 100,000-item run they
# took 0.12 s of the two CPUs the workers need). A user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer
import typer.core

from edu_clf import __version__
from edu_clf.config import load_label_schema, load_segment_config
from edu_clf.io.corpus import read_labeled
from edu_clf.io.limits import printable_name
from edu_clf.errors import ConfigError, EduClfError, Terminated, UsageError
from edu_clf.report.writers import CsvWriter, JsonlWriter, TableWriter, open_output
from edu_clf.pipeline import Skipped, iter_documents

GLOBAL_FLAGS = ("-q", "--quiet", "--debug")
T = TypeVar("T")


class _GlobalFlagsAnywhere(typer.core.TyperGroup):
    """Accept the global flags (-q, --debug) after the subcommand too: `edu-clf predict x.txt -q`."""

    def parse_args(self, ctx, args):
        for i, arg in enumerate(args):
            if arg in self.commands:   # the first word naming a command; flags after it (up to --) move before
                end = args.index("--", i) if "--" in args[i:] else len(args)
                tail = args[i + 1:end]
                moved = [a for a in tail if a in GLOBAL_FLAGS]
                if moved:
                    args = [*args[:i], *moved, arg, *[a for a in tail if a not in GLOBAL_FLAGS], *args[end:]]
                break
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_GlobalFlagsAnywhere,
    name="edu-clf",
    help="Split Chinese education-bureau work reports (工作总结, 工作计划 …) into outline items and label each "
         "item by topic (党建, 教师队伍, 办学条件 …) and kind (achievement / problem / plan).\n\n"
         "\b\nExamples:\n  edu-clf predict seeds/000_a2250ef0bda6fe1b.txt\n  edu-clf profile seeds/ --by region\n"
         "  edu-clf report seeds/ --out seeds.html\n  edu-clf COMMAND --help",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

STATE = {"debug": False, "quiet": False}


class Format(str, Enum):
    table = "table"
    jsonl = "jsonl"
    csv = "csv"


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"edu-clf: error: {message}", err=True)
    raise typer.Exit(code)


def handle_errors(func: Callable) -> Callable:
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        previous = _catch_sigterm()
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                result = func(*args, **kwargs)
                if sys.stdout is not None:
                    sys.stdout.flush()  # a full disk shows here, as one line, not at exit
                return result
        except EduClfError as exc:
            if STATE["debug"]:
                raise
            fail(exc.describe(), exc.exit_code)
        except KeyboardInterrupt:
            typer.echo("edu-clf: interrupted; nothing was written", err=True)
            raise typer.Exit(130)
        except Terminated:
            typer.echo("edu-clf: terminated (SIGTERM); nothing was written", err=True)
            raise typer.Exit(143)
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0)
        except OSError as exc:  # ENOSPC, EIO, EFBIG …: writing the output failed
            if STATE["debug"]:
                raise
            import errno
            writing = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS)
            if writing:
                _drop_stdout()
            where = f"{exc.filename}: " if isinstance(exc.filename, str) else ""
            fail(f"{where}{'cannot write the output: ' if writing else ''}{exc.strerror or exc}")
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    return wrapper


def _on_sigterm(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the clean-up runs undisturbed by further SIGTERMs
    raise Terminated()


def _catch_sigterm():
    """SIGTERM unwinds the run like Ctrl-C (temp files removed, exit 143); main thread only."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _on_sigterm)


def _drop_stdout() -> None:
    """After a failed write to stdout, send what is still buffered nowhere (no second error at exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


def _labeler(model: Optional[Path], trust_pickle: bool, explain: int):
    """The model to label with: the runtime artifact (no scikit-learn) unless explanations are asked
    for or --model names a full model file."""
    from edu_clf.pipeline import load_predictor
    if explain and (model is None or model.suffix == ".npz"):
        from edu_clf.config import default_model_path
        model = default_model_path() if model is None else model.with_suffix(".skops")
    return load_predictor(model, trust_pickle=trust_pickle)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Library warnings (ours and scikit-learn's) as one line each, without a source line."""
    typer.echo(f"edu-clf: warning: {message}", err=True)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"edu-clf {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages on stderr.")] = False,
    version: Annotated[Optional[bool], typer.Option("--version", callback=version_callback, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    STATE["debug"] = debug
    STATE["quiet"] = quiet


RAW_CSV_HELP = ("With --format csv: write cells as they are. By default a cell starting with =, +, -, @, tab "
                "or CR gets a leading ' so that a spreadsheet does not run it as a formula.")
INPUTS_HELP = ("Report files (.txt in UTF-8/GB18030/UTF-16, .html, .docx, .pdf, .doc/.wps, guide-format .jsonl), "
               "folders (searched recursively for .txt/.html/.docx/.pdf/.doc/.wps reports; other files are "
               "named on stderr), or - for standard input.")


def report_skipped(skipped: list[Skipped]) -> None:
    for entry in skipped:
        typer.echo(f"edu-clf: skipped {entry.reason}", err=True)
    if skipped:
        typer.echo(f"edu-clf: {len(skipped)} file(s) skipped", err=True)


def no_items(inputs: list[str], skipped: list[Skipped]) -> NoReturn:
    """A run that labels nothing is an error: the skipped files listed, then one line saying why."""
    from edu_clf.pipeline import no_items_error

    report_skipped(skipped)
    raise no_items_error(inputs, skipped)


def _some_or_fail(rows: Iterable[T], inputs: list[str], skipped: list[Skipped]) -> Iterator[T]:
    """`rows` as they come, or, when there is none, `no_items` before anything is written."""
    from itertools import chain

    rows = iter(rows)
    for first in rows:
        return chain([first], rows)
    no_items(inputs, skipped)


@app.command()
@handle_errors
def segment(
    inputs: Annotated[list[str], typer.Argument(help=INPUTS_HELP, show_default=False)],
    format: Annotated[Format, typer.Option("--format", "-f", help="table for people; jsonl (guide format, "
                                                                  "ready to annotate) or csv for programs.")] = Format.table,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
    skip_errors: Annotated[bool, typer.Option("--skip-errors", help="Skip unreadable files (listed on stderr) "
                                                                     "instead of stopping.")] = False,
    raw_csv: Annotated[bool, typer.Option("--raw-csv", help=RAW_CSV_HELP)] = False,
) -> None:
    """Split reports into outline items with their context (title, heading path).

    \b
    Examples:
      edu-clf segment seeds/002_faffd9a2ed2f71c6.txt
      edu-clf segment reports/ --format jsonl > items.jsonl
    """
    from edu_clf.report.writers import check_writable

    walked = _quiet_paths(inputs)
    check_writable(out, [*inputs, *walked] if out is not None else ())
    config = load_segment_config()
    skipped: list[Skipped] = []
    # to stdout, every file is read once first so that one bad file writes nothing; a --out
    # file is written atomically and simply discarded on error (memory stays flat either way)
    docs = iter_documents(inputs, config, skip_errors=skip_errors, skipped=skipped, precheck=out is None,
                          warn=warn)
    source = _with_path(None, walked)   # each row names its source file
    items = _some_or_fail((it for doc in docs for it in doc.items), inputs, skipped)   # none: an error
    with open_output(out) as stream:
        if format is Format.table:
            writer = TableWriter(stream, [("doc_id", 24), ("item", 4), ("heading", 24), ("text", 60)])
            for it in items:
                writer.row([it.doc_id, str(it.item), it.headings[-1] if it.headings else "", it.text])
        elif format is Format.jsonl:
            jw = JsonlWriter(stream)
            for it in items:
                jw.row({**it.to_dict(labels=False), "path": source.path_of(it.doc_id)})
        else:
            cw = CsvWriter(stream, ["doc_id", "item", "title", "headings", "text", "path"], raw=raw_csv)
            for it in items:
                cw.row({**it.to_dict(labels=False), "path": source.path_of(it.doc_id)})
    report_skipped(skipped)


@app.command()
@handle_errors
def validate(
    data: Annotated[list[Path], typer.Argument(help="Labeled JSONL or CSV files in the guide's format.",
                                               show_default=False)],
) -> None:
    """Check labeled files against configs/labels.toml: fields, ids, duplicates.

    Every error is listed (file:line). Prediction output (kind_score/topic_score) is refused unless each
    line says "checked": true. Exit code 0 when every file is valid.

    \b
    Examples:
      edu-clf validate seeds/labels.jsonl
      edu-clf validate corpus/labels/*.jsonl my_labels.csv
    """
    from edu_clf.io.corpus import check_labeled

    count, problems = check_labeled(data, load_label_schema())
    if problems:
        for problem in problems:
            typer.echo(f"edu-clf: error: {problem.describe()}", err=True)
        fail(f"{len(problems)} error(s) in {len(data)} file(s); {count} item(s) valid")
    typer.echo(f"ok: {count} labeled items in {len(data)} file(s)")




def warn(message: str) -> None:
    """A warning on stderr: something the user should know, that does not stop the run."""
    typer.echo(f"edu-clf: warning: {message}", err=True)


def progress(message: str) -> None:
    """Progress on stderr (never stdout, which stays clean for pipes)."""
    if not STATE["quiet"]:
        typer.echo(f"edu-clf: {message}", err=True)


ModelOption = Annotated[Optional[Path], typer.Option(
    "--model", "-m", help="Model file (default: the shipped model named in configs/default.toml).")]
TrustOption = Annotated[bool, typer.Option(
    "--trust-pickle", help="Also load a pickle/joblib model file. Unpickling can run any code: use only for "
                           "files you made yourself. skops files never need it.")]
ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", "-c", help="Training config TOML (default: configs/default.toml).")]
SetOption = Annotated[Optional[list[str]], typer.Option(
    "--set", help="Override a config key, e.g. --set model.C=2 --set features.text_chars=false (repeatable).")]


class Names(str, Enum):
    id = "id"
    zh = "zh"


MetaOption = Annotated[Optional[Path], typer.Option(
    "--meta", help="Sidecar CSV of report metadata: a path (or doc_id) column, then region, year, genre and any "
                   "columns of yours; its values override what is read from the reports.")]
NamesOption = Annotated[Names, typer.Option("--names", help="Label names: id (achievement, teachers …) or zh "
                                            "(configs/labels.toml's Chinese names).")]
ExcelOption = Annotated[bool, typer.Option("--excel", help="CSV for Excel: UTF-8 with a BOM and CRLF line ends.")]


class Engine(str, Enum):
    local = "local"
    dask = "dask"


class PartitionFormat(str, Enum):
    jsonl = "jsonl"
    parquet = "parquet"


def _quiet_paths(inputs: list[str]) -> list[str]:
    """The files the inputs name (folders walked), without the walk's warnings: the walk that reads
    them reports each skipped file, once."""
    from edu_clf.io import iter_input_paths

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(iter_input_paths(inputs)) if inputs else []


def _meta_reader(meta: Optional[Path], paths: list[str]):
    """The per-document metadata reader of the input files (`_quiet_paths`), with the --meta sidecar
    applied when given."""
    from edu_clf.pipeline import unique_doc_ids
    from edu_clf.segment.meta import MetaReader, read_sidecar

    return MetaReader(read_sidecar(meta) if meta is not None else None, unique_doc_ids(paths))


def _with_path(meta_of, paths: list[str]):
    """meta_of with the source `path` column first (edu_clf.pipeline.WithPath)."""
    from edu_clf.pipeline import WithPath

    return WithPath(meta_of, paths)


class ModelFormat(str, Enum):
    skops = "skops"
    joblib = "joblib"


@app.command()
@handle_errors
def train(
    data: Annotated[Optional[list[Path]], typer.Argument(
        help="Labeled JSONL or CSV files in the guide's format (default: the config's [data] train, i.e. the "
             "project's gold seeds plus the written corpus).", show_default=False)] = None,
    config: ConfigOption = None,
    set_: SetOption = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Where to write the model (default: a file "
                                                "named as the config's [data] model, in the current folder; "
                                                "never inside the installed package).")] = None,
    format: Annotated[ModelFormat, typer.Option("--format", help="skops: safe to share (loading cannot run "
                                                "code); joblib: a pickle, load only your own.")] = ModelFormat.skops,
    cv: Annotated[bool, typer.Option("--cv/--no-cv", help="Measure grouped cross-validation first (gold "
                                     "documents one at a time, the written corpus one writer at a time, every "
                                     "robustness view) and store the scores in the model's metadata.")] = True,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Cross-validation folds fitted in parallel.")] = 1,
    only: Annotated[bool, typer.Option("--only", help="Train on the given files alone (default: they are added "
                                       "to the config's [data] train, the shipped training data).")] = False,
    user_weight: Annotated[float, typer.Option("--user-weight", min=0.0, help="Sample weight of items with "
                                               "source user (others 1).")] = 1.0,
    silver_weight: Annotated[float, typer.Option("--silver-weight", min=0.0, help="Sample weight of items with "
                                                 "source silver (edu-clf bootstrap's rule labels).")] = 1.0,
) -> None:
    """Train a model on labeled items and write it atomically, with its metadata.

    Files given are added to the shipped training data unless --only.

    \b
    Examples:
      edu-clf train my_labels.jsonl --out models/mine.skops --user-weight 2
      edu-clf train my_labels.jsonl --only --no-cv --out models/mine.skops
    """
    from edu_clf.config import load_label_schema, load_train_config
    from edu_clf.report.writers import check_writable
    from edu_clf.model.export import runtime_path_for
    from edu_clf.model.train import load_training_items, train_model

    cfg = load_train_config(config, set_ or [])
    schema = load_label_schema()
    paths = _training_paths(data, cfg, only)
    items = load_training_items(paths, schema)
    if data and not only:
        _say_added(items, paths, data)
    if cfg.features.min_df > len(items):
        raise ConfigError(f"features.min_df={cfg.features.min_df} is more than the {len(items)} training "
                          f"items: no term could be kept", hint="lower it, e.g. --set features.min_df=2")
    progress(f"training on {len(items)} items from {len(paths)} file(s)")
    target = out or Path.cwd() / Path(cfg.data.model).name
    if out is None:
        progress(f"no --out given: the model goes to {target} (the shipped model is never overwritten)")
    check_writable(target, paths)
    # the runtime artifact beside it (numpy only) when the model has one; checked before fitting too
    runtime = (runtime_path_for(target) if cfg.features.engine == "fast" and cfg.model.classifier == "logreg"
               and target.suffix != ".npz" else None)
    check_writable(runtime, paths)
    from edu_clf.model.train import source_weights
    weights = source_weights(items, {"user": user_weight, "silver": silver_weight})
    model = train_model(items, cfg, schema, paths, cv=cv, progress=progress, jobs=jobs, sample_weight=weights)
    _save_model_files(model, target, format.value, runtime)
    for key, name in (("cv", "seed documents held out one at a time"),
                      ("cv_written", "written corpus held out one writer at a time")):
        scores = model.meta.metrics.get(key, {})
        if "kind" in scores:
            typer.echo(f"{name}: kind macro-F1 {scores['kind']['macro_f1']:.3f}, "
                       f"topic macro-F1 {scores['topic']['macro_f1']:.3f}")
    typer.echo(f"wrote {printable_name(target)}" + (f" and its runtime artifact {printable_name(runtime)}"
                                                     if runtime else ""))


def _save_model_files(model, target: Path, format: str, runtime: Path | None) -> None:
    """The model and its runtime artifact, each written to a temp file beside it and renamed into place
    together once both are complete: a signal or an error while either is written keeps both old files
    (never a new model beside the old artifact)."""
    import contextlib

    from edu_clf.io.atomic import atomic_path
    from edu_clf.model.persist import save_model

    with contextlib.ExitStack() as stack:
        save_model(model, stack.enter_context(atomic_path(target)), format)
        if runtime is not None:
            from edu_clf.model.export import export_runtime
            export_runtime(model, stack.enter_context(atomic_path(runtime)))


def _training_paths(data: list[Path] | None, cfg, only: bool) -> list[Path]:
    """The files `train` reads: the given ones added to the config's [data] train (said on stderr), or
    the given ones alone with --only, or the config's when none are given."""
    from edu_clf.model.train import default_data_paths

    if not data:
        if only:
            raise UsageError("--only needs labeled files to train on")
        return default_data_paths(cfg)
    if only:
        return list(data)
    shipped = default_data_paths(cfg)
    known = {p.resolve() for p in shipped}
    return shipped + [p for p in data if p.resolve() not in known]


def _say_added(items: list, paths: list[Path], data: list[Path]) -> None:
    """After the data loaded: say on stderr that the given files were added to the shipped data."""
    given = {p.resolve() for p in data}
    shipped = [p for p in paths if p.resolve() not in given]
    n_given = len(read_labeled([p for p in paths if p.resolve() in given], load_label_schema()))
    if n_given == 0:
        raise EduClfError("the given training data is empty", ", ".join(map(str, data)))
    warn(f"adding {n_given} item(s) from {len(data)} file(s) to the shipped training data ({len(items) - n_given} "
         f"items in {len(shipped)} file(s) of the config's [data] train); --only trains on yours alone")


@app.command()
@handle_errors
def evaluate(
    data: Annotated[list[Path], typer.Argument(help="Labeled JSONL or CSV files (gold).", show_default=False)],
    model: ModelOption = None,
    trust_pickle: TrustOption = False,
    cv: Annotated[bool, typer.Option("--cv", help="Cross-validate instead: train from the config; seed (and other "
                                     "gold) documents are held out one at a time, the written corpus one writer "
                                     "at a time, so no document or writer is on both sides.")] = False,
    views: Annotated[str, typer.Option("--views", help="With --cv: also score the held-out documents as real "
                                       "copies present them; comma-separated from clean, traditional, "
                                       "ascii_punct, no_context, excerpt, page2, or 'all'.")] = "clean",
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="With --cv: folds fitted in parallel.")] = 1,
    config: ConfigOption = None,
    set_: SetOption = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    errors: Annotated[Optional[Path], typer.Option("--errors", help="Write misclassified items as JSONL here.")] = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Draw the confusion matrices into this PNG.")] = None,
    issues: Annotated[bool, typer.Option("--issues", help="List items whose given label is likely wrong, ranked "
                                         "(confident learning on out-of-fold scores, folds grouped by writer / "
                                         "document), with the given label, the suggested one and the score.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="With --issues: write them as JSONL here.")] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, help="With --issues: grouped folds.")] = 5,
) -> None:
    """Score a model on held-out gold items, or cross-validate a config, or find likely label errors.

    \b
    Examples:
      edu-clf evaluate seeds/labels.jsonl --model models/mine.skops
      edu-clf evaluate seeds/labels.jsonl corpus/labels/*.jsonl --cv --views all -j 2
      edu-clf evaluate seeds/labels.jsonl --cv --set features.context=false
      edu-clf evaluate my_labels.jsonl corpus/labels/*.jsonl --issues --out issues.jsonl
    """
    if issues:
        if model is not None or cv:
            raise UsageError("--issues trains its own out-of-fold models from the config: drop --model / --cv")
        _evaluate_issues(data, config, set_ or [], out, folds)
        return
    from edu_clf.config import load_label_schema, load_train_config
    from edu_clf.model.evaluate import cross_validate_views, evaluate_estimator, format_evaluation, format_views
    from edu_clf.model.persist import load_model
    from edu_clf.model.train import build_estimator, load_training_items

    from edu_clf.report.writers import check_writable

    check_writable(errors, data, "--errors")
    check_writable(plot, data, "--plot")
    if cv or config is not None or set_:
        load_train_config(config, set_ or [])  # a bad --config / --set stops here, before any reading
    schema = load_label_schema()
    items = load_training_items(data, schema) if cv else read_labeled(data, schema)
    if not items:
        raise EduClfError("no labeled items to evaluate", ", ".join(map(str, data)))
    if cv:
        if model is not None:
            raise UsageError("give either --model (held-out) or --cv (cross-validation), not both")
        from edu_clf.model.views import VIEWS
        chosen = list(VIEWS) if views == "all" else [v.strip() for v in views.split(",") if v.strip()]
        unknown = [v for v in chosen if v not in VIEWS]
        if unknown or not chosen:
            raise UsageError(f"--views {views!r}: unknown view {unknown[0] if unknown else '(none)'}; "
                             f"allowed: {', '.join(VIEWS)} or all")
        if "clean" not in chosen:
            chosen.insert(0, "clean")
        cfg = load_train_config(config, set_ or [])
        try:
            by_view = cross_validate_views(build_estimator(cfg), items, chosen, n_jobs=jobs,
                                           progress=lambda i, n: progress(f"fold {i}/{n}"))
        except ValueError as exc:
            raise EduClfError(str(exc), ", ".join(map(str, data))) from None
        if json_:
            typer.echo(json.dumps({f"{part}/{view}": ev.to_dict() for (part, view), ev in by_view.items()},
                                  ensure_ascii=False, indent=1))
        else:
            for (part, view), ev in by_view.items():
                if view == "clean":
                    typer.echo(f"== {part} ==")
                    typer.echo(format_evaluation(ev))
                    typer.echo("")
            typer.echo(format_views(by_view))
        if errors is not None or plot is not None:
            result = by_view.get(("seeds", "clean")) or next(iter(by_view.values()))
    else:
        trained = load_model(model, schema, trust_pickle=trust_pickle)
        result = evaluate_estimator(trained.estimator, items, trained.meta.data.get("doc_ids", ()))
        if result.method != "held-out":
            warn(f"{result.method}; these scores measure fit, not quality (use --cv, or a model trained "
                 f"without these documents)")
        if json_:
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        else:
            typer.echo(format_evaluation(result))
    if errors is not None:
        with open_output(errors) as stream:
            jw = JsonlWriter(stream)
            for record in result.errors():
                jw.row(record)
    if plot is not None:
        from edu_clf.report.plot import plot_confusion
        plot_confusion(result, plot)


def _evaluate_issues(data: list[Path], config: Optional[Path], overrides: list[str], out: Optional[Path],
                     folds: int) -> None:
    """evaluate --issues: ranked likely label errors, as a table on stdout or JSONL in --out."""
    from edu_clf.config import load_train_config
    from edu_clf.model.issues import find_item_label_issues
    from edu_clf.model.train import build_estimator, load_training_items
    from edu_clf.report.writers import check_writable

    check_writable(out, data)
    items = load_training_items(data, load_label_schema())
    cfg = load_train_config(config, overrides)
    try:
        found = find_item_label_issues(build_estimator(cfg), items, folds,
                                       progress=lambda i, n: progress(f"out-of-fold fold {i}/{n}"))
    except ValueError as exc:
        raise EduClfError(str(exc), ", ".join(map(str, data))) from None
    with open_output(out) as stream:
        if out is not None:
            jw = JsonlWriter(stream)
            for record in found:
                jw.row(record)
        else:
            writer = TableWriter(stream, [("rank", 4), ("task", 5), ("doc_id", 22), ("item", 4), ("given", 18),
                                          ("suggested", 18), ("score", 6), ("text", 40)])
            for r in found:
                writer.row([str(r["rank"]), r["task"], r["doc_id"], str(r["item"]), r["given"], r["suggested"],
                            f"{r['score']:.3f}", r["text"]])
    progress(f"{len(found)} likely label error(s) among {len(items)} items (score: the out-of-fold probability "
             f"of the given label; lowest first)")


@app.command()
@handle_errors
def predict(
    inputs: Annotated[Optional[list[str]], typer.Argument(
        help=INPUTS_HELP + " Guide-format .jsonl items keep their doc_id, item and context.",
        show_default=False)] = None,
    text: Annotated[Optional[str], typer.Option("--text", "-t", help="Label this one item of text instead.")] = None,
    model: ModelOption = None,
    trust_pickle: TrustOption = False,
    format: Annotated[Format, typer.Option("--format", "-f", help="table for people; jsonl or csv for "
                                           "programs (one line per item, in input order).")] = Format.table,
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, help="Also list the k best kinds and topics "
                                       "with scores.")] = 1,
    explain: Annotated[int, typer.Option("--explain", min=0, help="Add the N terms that pushed each label "
                                         "most (jsonl/csv).")] = 0,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
    skip_errors: Annotated[bool, typer.Option("--skip-errors", help="Skip unreadable files (listed on stderr) "
                                                                     "instead of stopping.")] = False,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Items labeled per batch; memory stays "
                                            "flat whatever the input size.")] = 2000,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Worker processes (at most one per "
                                                "CPU). Default: one per CPU for large inputs (JSONL files over "
                                                "8 MB, or more than 64 report files), else 1. The labels are the "
                                                "same either way.", show_default=False)] = None,
    raw_csv: Annotated[bool, typer.Option("--raw-csv", help=RAW_CSV_HELP)] = False,
    meta: MetaOption = None,
    names: NamesOption = Names.id,
    excel: ExcelOption = False,
    engine: Annotated[Engine, typer.Option("--engine", help="local: this process (and --jobs workers); dask: "
                                           "partitions on a Dask cluster, one file each in the --out folder "
                                           "with a manifest (needs the extra edu-clf[dask]).")] = Engine.local,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="With --engine dask: the scheduler's "
                                                     "address (tcp://HOST:8786); default: a LocalCluster of "
                                                     "--jobs workers here.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="With --engine dask: keep the partitions in --out "
                                         "that the manifest verifies (sha256), label the rest.")] = False,
    partition_size: Annotated[int, typer.Option("--partition-size", min=1, help="With --engine dask: items per "
                                                "partition (documents are never split).")] = 20000,
    partition_format: Annotated[PartitionFormat, typer.Option("--partition-format", help="With --engine dask: "
                                                              "jsonl (the lines of --format jsonl) or parquet "
                                                              "(pyarrow).")] = PartitionFormat.jsonl,
) -> None:
    """Label every outline item of reports by kind and topic, with scores.

    Every jsonl/csv row ends with the report's metadata (region, year, period, genre, each with its
    source: title, body or sidecar). The table fits the terminal; --names zh shows Chinese labels.

    \b
    Examples:
      edu-clf predict seeds/000_a2250ef0bda6fe1b.txt
      edu-clf predict seeds/ --top-k 3 --names zh
      edu-clf predict reports/ --format jsonl > labels.jsonl
      edu-clf predict reports/ --format csv --excel --top-k 2 --explain 3 --out labels.csv
      edu-clf predict reports/ --meta meta.csv --format jsonl -q > labels.jsonl
      edu-clf predict --text "下半年将继续推进校舍改造工程。"
    """
    from edu_clf.io import iter_input_paths, report_kind
    from edu_clf.runtime.predict import text_item
    from edu_clf.pipeline import auto_jobs, predict_files, predict_items, predict_jsonl, predict_stream
    from edu_clf.pipeline import check_inputs, no_items_message

    from edu_clf.report.writers import check_writable

    if (text is None) == (not inputs):
        raise UsageError("give report files/folders, or --text \"...\" (one of the two)")
    if text is not None and not text.strip():
        raise UsageError("--text is empty; give the item's text")
    if engine is Engine.dask:
        return _predict_on_dask(inputs, text, out, format, model, trust_pickle, scheduler, jobs or 1, resume,
                                partition_size, partition_format.value, skip_errors, top_k, explain, chunk_size,
                                meta)
    elif resume or scheduler is not None:
        raise UsageError("--resume and --scheduler go with --engine dask")
    walked = _quiet_paths(inputs or [])
    check_writable(out, [*inputs, *walked] if inputs and out is not None else ())
    from edu_clf.report.progress import Progress
    from edu_clf.report.rows import doc_and_line, write_predictions

    meta_of = _with_path(_meta_reader(meta, walked), walked)   # every row names its source file
    trained = _labeler(model, trust_pickle, explain)
    if text is not None:
        predictions = iter(predict_items(trained, [text_item(text)], top_k=top_k, explain=explain))
    else:
        config = load_segment_config()
        skipped: list[Skipped] = []
        paths = list(iter_input_paths(inputs))
        jobs = jobs if jobs is not None else auto_jobs(paths)
        if paths and all(Path(p).suffix.lower() == ".jsonl" for p in paths):
            # items files: each chunk parsed, checked, labeled (and with jsonl rendered) in one go, by workers
            # when --jobs > 1
            predictions = predict_jsonl(trained, paths, jobs=jobs, chunk_size=chunk_size, top_k=top_k,
                                        explain=explain, render=format is Format.jsonl, meta_of=meta_of)
        elif jobs > 1 and not any(p == "-" or report_kind(p) == "jsonl" for p in paths):
            # whole files go to the workers: reading and segmenting run in parallel too
            if out is None and not skip_errors:
                check_inputs(paths)

            def on_error(path: str, error: Exception) -> None:
                if not skip_errors:
                    raise error
                skipped.append(Skipped(path, str(error)))
            # JSON lines are made by the workers too: the parent only writes
            predictions = predict_files(trained, paths, config, jobs, top_k=top_k, explain=explain,
                                        on_error=on_error, on_empty=lambda path: warn(no_items_message(path)),
                                        render=doc_and_line if format is Format.jsonl else None)
        else:
            # as for segment: a pre-read only when writing several files to stdout (one file streams at once)
            docs = iter_documents(paths, config, skip_errors=skip_errors, skipped=skipped,
                                  precheck=out is None and len(paths) > 1, warn=warn)
            predictions = predict_stream(trained, docs, chunk_size=chunk_size, top_k=top_k, explain=explain,
                                         jobs=jobs)
        predictions = _some_or_fail(predictions, inputs, skipped)   # a run that labels nothing is an error
    with open_output(out) as stream, Progress(enabled=not STATE["quiet"]) as bar:
        count = write_predictions(predictions, stream, format.value, load_label_schema(), top_k=top_k,
                                  explain=explain, meta_of=meta_of if text is None else None,
                                  meta_columns=meta_of.columns if text is None else (), names=names.value,
                                  excel=excel, progress=bar, raw_csv=raw_csv)
    if text is None:
        report_skipped(skipped)
        progress(f"labeled {count} items")


def _predict_on_dask(inputs, text, out, format, model, trust_pickle, scheduler, jobs, resume, partition_size,
                     partition_format, skip_errors, top_k, explain, chunk_size, meta) -> None:
    """`predict --engine dask`: edu_clf.pipeline_dask does the work; this checks the options and prints."""
    from edu_clf.pipeline_dask import predict_partitioned
    from edu_clf.report.dask_rows import JsonlRows

    if text is not None:
        raise UsageError("--engine dask labels files; label one --text without it")
    if out is None:
        raise UsageError("--engine dask writes one file per partition: give the folder with --out DIR")
    if format not in (Format.table, Format.jsonl):
        raise UsageError(f"--engine dask writes JSONL or Parquet partitions (--partition-format), not "
                         f"--format {format.value}")
    if explain and (model is None or model.suffix == ".npz"):   # as _labeler: explanations need the estimator
        from edu_clf.config import default_model_path
        model = default_model_path() if model is None else model.with_suffix(".skops")
    walked = _quiet_paths(inputs)
    summary = predict_partitioned(inputs, out, model, scheduler=scheduler, jobs=jobs, partition_size=partition_size,
                                  resume=resume, skip_errors=skip_errors, top_k=top_k, explain=explain,
                                  chunk_size=chunk_size, output=partition_format, trust_pickle=trust_pickle,
                                  render=JsonlRows(_with_path(_meta_reader(meta, walked), walked)), warn=warn)
    skipped = [Skipped(s["path"], s["reason"]) for s in summary.skipped]
    if summary.items == 0:
        no_items(inputs, skipped)
    report_skipped(skipped)
    progress(f"labeled {summary.items} items in {summary.partitions} partition(s) ({summary.resumed} kept from "
             f"the last run) in {summary.seconds:.1f} s; manifest: {summary.out_dir / 'manifest.json'}")


@app.command()
@handle_errors
def report(
    inputs: Annotated[list[str], typer.Argument(help=INPUTS_HELP, show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write (one self-contained page).")],
    model: ModelOption = None,
    trust_pickle: TrustOption = False,
    explain: Annotated[Optional[int], typer.Option("--explain", min=0, help="Terms shown per label when an item "
                                                   "is clicked (default: configs/report.toml).")] = None,
    skip_errors: Annotated[bool, typer.Option("--skip-errors", help="Skip unreadable files (listed on stderr) "
                                                                     "instead of stopping.")] = False,
    meta: MetaOption = None,
) -> None:
    """Write an HTML page: each report's outline coloured by kind, topics with scores, profiles.

    Several reports also get a corpus view: documents × topics heatmap, kind bars, problems by topic,
    filters (topic, kind, score, region, year, genre), search, sortable tables and a CSV download.

    \b
    Examples:
      edu-clf report seeds/ --out seeds.html
      edu-clf report corpus/written/ --meta meta.csv --out corpus.html
    """
    from edu_clf.config import load_report_config
    from edu_clf.report.html import render_report
    from edu_clf.pipeline import predict_documents

    from edu_clf.report.writers import check_writable

    walked = _quiet_paths(inputs)
    check_writable(out, [*inputs, *walked])
    cfg = load_report_config()
    n_explain = cfg.explain_terms if explain is None else explain
    trained = _labeler(model, trust_pickle, n_explain)
    skipped: list[Skipped] = []
    # every document is labeled before the page is written: no pre-read needed
    docs = iter_documents(inputs, load_segment_config(), skip_errors=skip_errors, skipped=skipped, warn=warn)
    labeled = list(predict_documents(trained, docs, explain=n_explain))
    if not any(d.predictions for d in labeled):
        no_items(inputs, skipped)
    # the header's accuracy note says what was measured, on what (report/corpus_view.accuracy_note)
    page = render_report(labeled, load_label_schema(), cfg, meta_of=_with_path(_meta_reader(meta, walked), walked),
                         metrics=trained.meta.metrics)   # each document shows its source file
    with open_output(out) as stream:
        stream.write(page)
    report_skipped(skipped)
    typer.echo(f"wrote {printable_name(out)}: {len(labeled)} document(s), {sum(len(d.predictions) for d in labeled)} items")


class ProfileFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"
    parquet = "parquet"
    xlsx = "xlsx"


@app.command()
@handle_errors
def profile(
    inputs: Annotated[list[str], typer.Argument(help=INPUTS_HELP + " A predictions .jsonl (from `edu-clf predict "
                                                "--format jsonl`) is read as it is, not labeled again.",
                                                show_default=False)],
    by: Annotated[str, typer.Option("--by", help="One row per doc (report), or per region, year, genre, or any "
                                    "metadata column (period, region_level, a --meta column).")] = "doc",
    format: Annotated[ProfileFormat, typer.Option("--format", "-f", help="csv, jsonl, parquet (needs pyarrow) or "
                                                  "xlsx (needs openpyxl or xlsxwriter).")] = ProfileFormat.csv,
    min_score: Annotated[float, typer.Option("--min-score", min=0.0, max=1.0, help="Leave out items whose kind or "
                                             "topic score is below this (counted in left_out).")] = 0.0,
    excel: ExcelOption = False,
    names: NamesOption = Names.id,
    meta: MetaOption = None,
    model: ModelOption = None,
    trust_pickle: TrustOption = False,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to this file instead of stdout "
                                                "(parquet and xlsx need it).")] = None,
    skip_errors: Annotated[bool, typer.Option("--skip-errors", help="Skip unreadable files (listed on stderr) "
                                                                     "instead of stopping.")] = False,
) -> None:
    """Profile reports: per report (or region, year, genre …) the share of each kind and topic,
    and the problem and plan items per topic.

    \b
    Examples:
      edu-clf profile seeds/ corpus/written/
      edu-clf profile corpus/written/ --by region --names zh --excel --out regions.csv
      edu-clf profile labels.jsonl --by year --min-score 0.6
      edu-clf profile reports/ --meta meta.csv --by province --format xlsx --out by-province.xlsx
    """
    from edu_clf.report.profile import build_profile, profile_inputs, write_profile
    from edu_clf.report.writers import check_writable

    if format in (ProfileFormat.parquet, ProfileFormat.xlsx) and out is None:
        raise UsageError(f"--format {format.value} is binary; give --out FILE")
    check_writable(out, inputs) if out is not None else None
    schema = load_label_schema()
    skipped: list[Skipped] = []
    meta_of = _meta_reader(meta, _quiet_paths(inputs))
    rows = profile_inputs(inputs, lambda: _labeler(model, trust_pickle, 0), meta_of,
                          skip_errors=skip_errors, skipped=skipped, warn=warn)
    rows = _some_or_fail(rows, inputs, skipped)
    result = build_profile(rows, schema, by=by, min_score=min_score,
                           extra=meta_of.sidecar.columns if meta_of.sidecar else ()).renamed(schema, names.value)
    binary = format in (ProfileFormat.parquet, ProfileFormat.xlsx)
    with open_output(out, binary=binary) as stream:
        write_profile(result, stream, format.value, excel=excel)
    report_skipped(skipped)
    progress(f"profiled {sum(r.get('items', r.get('条目数', 0)) for r in result.rows)} items in "
             f"{len(result.rows)} group(s) by {by}")


@app.command()
@handle_errors
def info(
    model: Annotated[Optional[Path], typer.Argument(help="Model file (default: the shipped model).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the metadata as JSON.")] = False,
    trust_pickle: TrustOption = False,
) -> None:
    """Print a model's metadata: versions, label schema, config, training data, CV scores.

    \b
    Examples:
      edu-clf info
      edu-clf info models/mine.skops --json
    """
    from edu_clf import kernels
    meta = _labeler(model, trust_pickle, 0).meta.to_dict()
    if json_:
        typer.echo(json.dumps(meta, ensure_ascii=False, indent=1))
        return
    data, cv = meta["data"], meta["metrics"].get("cv", {})
    typer.echo(f"edu-clf {meta['edu_clf_version']} model (format {meta['format_version']}), created {meta['created']}")
    typer.echo(f"scikit-learn {meta['sklearn_version']}, numpy {meta['numpy_version']}, python {meta['python_version']}")
    typer.echo(f"labels: {len(meta['label_schema']['kinds'])} kinds, {len(meta['label_schema']['topics'])} topics "
               f"(schema v{meta['label_schema']['schema_version']})")
    typer.echo(f"trained on {data['n_items']} items in {data['n_docs']} documents "
               f"({', '.join(f'{k} {v}' for k, v in data['sources'].items())}); data sha256 {data['sha256'][:16]}…")
    written = meta["metrics"].get("cv_written", {})
    for name, scores in (("seed documents", cv), ("written corpus", written)):
        if "kind" in scores:
            typer.echo(f"quality, {name} held out ({scores['method']}, {scores['n_scored']} items): kind macro-F1 "
                       f"{scores['kind']['macro_f1']:.3f}, topic macro-F1 {scores['topic']['macro_f1']:.3f}")
    views = meta["metrics"].get("views", {})
    if views:
        worst = min(views.items(), key=lambda kv: kv[1]["kind_f1"])
        typer.echo(f"robustness views (traditional, no context, excerpt, page 2 …): lowest kind macro-F1 "
                   f"{worst[1]['kind_f1']:.3f} ({worst[0]}); `edu-clf info --json` has them all")
    typer.echo("these are grouped cross-validation figures on our own data; real unseen reports may score lower")
    model_cfg = meta["config"]["model"]
    feats = [k for k in ("text_words", "text_chars", "context", "cues") if meta["config"]["features"][k]]
    typer.echo(f"classifier {model_cfg['classifier']} C={model_cfg['C']}; features: {', '.join(feats)}")
    typer.echo(f"inner loops on this machine: {kernels.status()}")


@app.command()
@handle_errors
def stats(
    data: Annotated[list[Path], typer.Argument(help="Labeled JSONL or CSV files.", show_default=False)],
    json_: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Count labeled items per kind × topic and per source (seed / written).

    \b
    Examples:
      edu-clf stats seeds/labels.jsonl corpus/labels/*.jsonl
      edu-clf stats seeds/labels.jsonl --json
    """
    from edu_clf.report.stats import corpus_stats, format_stats
    schema = load_label_schema()
    result = corpus_stats(read_labeled(data, schema), schema)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1) if json_ else format_stats(result, schema))


@app.command()
@handle_errors
def suggest(
    inputs: Annotated[list[str], typer.Argument(help=INPUTS_HELP + " Guide-format .jsonl items keep their "
                                                "doc_id and item.", show_default=False)],
    n: Annotated[int, typer.Option("--n", "-n", min=1, help="How many items to suggest.")] = 50,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the JSONL here instead of stdout.")] = None,
    model: ModelOption = None,
    trust_pickle: TrustOption = False,
    labeled: Annotated[Optional[list[Path]], typer.Option("--labeled", help="Labeled files whose items (doc_id, "
                                                          "item) are skipped (repeatable).")] = None,
    candidates: Annotated[int, typer.Option("--candidates", min=1, help="Cluster the N×this least certain items "
                                            "for diversity.")] = 10,
) -> None:
    """Unlabeled items whose labels would teach the model most, in the guide's JSONL, ready to label.

    Margin sampling over k-means clusters: the least certain items (smallest gap between the two best
    labels, both heads), one per cluster of the model's TF-IDF features. Fill in kind and topic, then
    `edu-clf validate` and `edu-clf train` the file (source: user).

    \b
    Examples:
      edu-clf suggest reports/ --n 50 --out to_label.jsonl
    """
    from edu_clf.model.persist import load_model
    from edu_clf.model.suggest import margins, suggest_indices, suggestion_records
    from edu_clf.report.writers import check_writable

    check_writable(out, [*inputs, *_quiet_paths(inputs)] if out is not None else ())
    skip = {(it.doc_id, it.item) for it in read_labeled(labeled or [], load_label_schema())}
    items = [it for doc in iter_documents(inputs, load_segment_config(), warn=warn) for it in doc.items
             if (it.doc_id, it.item) not in skip]
    if not items:
        raise UsageError("no unlabeled items in the inputs", hint="give report files or guide-format JSONL")
    trained = load_model(model, trust_pickle=trust_pickle)
    margin = margins(trained.estimator, items)
    picks = suggest_indices(trained.estimator, items, n, candidates=candidates, margin=margin)
    with open_output(out) as stream:
        jw = JsonlWriter(stream)
        for record in suggestion_records(items, picks, margin):
            jw.row(record)
    progress(f"suggested {len(picks)} of {len(items)} unlabeled items; fill in kind and topic")


@app.command()
@handle_errors
def bootstrap(
    inputs: Annotated[list[str], typer.Argument(help=INPUTS_HELP + " Guide-format .jsonl items keep their "
                                                "doc_id and item.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The silver JSONL file to write (source silver).")],
    gold: Annotated[Optional[list[Path]], typer.Option("--gold", help="Labeled files to measure the rules' "
                                                       "coverage and precision on (repeatable).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the measurement as JSON.")] = False,
) -> None:
    """Silver labels from structure alone: heading cues, title genre, section position (no model).

    Rules: configs/silver.toml and configs/cues.toml. Items that get both a kind and a topic are written;
    with --gold, coverage and precision per kind are measured against the gold labels of the same items.
    Train on them below gold: edu-clf train silver.jsonl --silver-weight 0.3

    \b
    Examples:
      edu-clf bootstrap reports/ --out silver.jsonl --gold seeds/labels.jsonl
    """
    from edu_clf.config import load_cues, load_silver_rules
    from edu_clf.model.bootstrap import format_quality, silver_labels, silver_quality, silver_records
    from edu_clf.report.writers import check_writable

    check_writable(out, [*inputs, *_quiet_paths(inputs), *(gold or [])])
    schema = load_label_schema()
    cues, rules = load_cues(), load_silver_rules()
    items = [it for doc in iter_documents(inputs, load_segment_config(), warn=warn) for it in doc.items]
    labels = silver_labels(items, cues, rules)
    records = silver_records(items, labels)
    with open_output(out) as stream:
        jw = JsonlWriter(stream)
        for record in records:
            jw.row(record)
    typer.echo(f"wrote {printable_name(out)}: {len(records)} of {len(items)} items got a silver kind and topic")
    if gold:
        truth = {(it.doc_id, it.item): it for it in read_labeled(gold, schema)}
        pairs = [(truth[(it.doc_id, it.item)], s) for it, s in zip(items, labels) if (it.doc_id, it.item) in truth]
        if not pairs:
            raise UsageError("no input item is in the --gold files (matched by doc_id and item)",
                             hint="give the gold files of the same reports")
        quality = silver_quality([g for g, _ in pairs], [s for _, s in pairs], schema.kind_ids)
        typer.echo(json.dumps(quality, ensure_ascii=False, indent=1) if json_ else format_quality(quality))


@app.command()
@handle_errors
def tune(
    data: Annotated[Optional[list[Path]], typer.Argument(
        help="Labeled JSONL or CSV files (default: the config's [data] train).", show_default=False)] = None,
    budget: Annotated[int, typer.Option("--budget", "-b", min=1, help="Candidate configs drawn (successive "
                                        "halving keeps the best third on ever more items).")] = 9,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the best config here as TOML, ready "
                                                "for `edu-clf train --config`.")] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, help="GroupKFold folds (writer / document groups).")] = 3,
    config: ConfigOption = None,
    set_: SetOption = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Fits in parallel.")] = 1,
    compare: Annotated[bool, typer.Option("--compare/--no-compare", help="Then score the best and the base "
                                          "config by grouped CV on all items.")] = True,
) -> None:
    """Search the config's knobs (C, context_weight, cue_weight, min_df, context_dropout) by grouped CV.

    HalvingRandomSearchCV with GroupKFold over writer / document groups; the score is the mean of kind and
    topic macro-F1. Prints the leaderboard and writes the best config.

    \b
    Examples:
      edu-clf tune --budget 9 --out best.toml
      edu-clf train --config best.toml
    """
    from edu_clf.config import load_train_config
    from edu_clf.model import tune as tuning
    from edu_clf.model.train import build_estimator, default_data_paths, load_training_items
    from edu_clf.report.writers import check_writable

    cfg = load_train_config(config, set_ or [])
    paths = list(data) if data else default_data_paths(cfg)
    check_writable(out, paths)
    items = load_training_items(paths, load_label_schema())
    progress(f"tuning on {len(items)} items from {len(paths)} file(s): {budget} candidate(s), {folds} grouped folds")
    try:
        result = tuning.tune(build_estimator(cfg), items, budget=budget, n_folds=folds, random_state=cfg.seed,
                             n_jobs=jobs)
    except ValueError as exc:
        raise EduClfError(str(exc), ", ".join(map(str, paths))) from None
    typer.echo(tuning.format_leaderboard(result))
    best = tuning.tuned_config(cfg, result.best_params)
    typer.echo("best: " + ", ".join(f"{k}={v}" for k, v in result.best_params.items()))
    if compare:
        scores = {name: tuning.grouped_cv_scores(build_estimator(c).set_params(calibration="none"), items, folds)
                  for name, c in (("base", cfg), ("best", best))}
        for name, s in scores.items():
            typer.echo(f"{name}: {folds}-fold grouped CV kind macro-F1 {s['kind']:.3f}, topic macro-F1 "
                       f"{s['topic']:.3f}")
    if out is not None:
        header = (f"edu-clf tune: best of {budget} candidate(s) by {folds}-fold grouped CV on {len(items)} items\n"
                  + ", ".join(f"{k}={v}" for k, v in result.best_params.items()))
        with open_output(out) as stream:
            stream.write(tuning.config_toml(best, header))
        typer.echo(f"wrote {printable_name(out)}")


def main(args: list[str] | None = None) -> None:
    """Console-script entry point."""
    app(args=args, prog_name="edu-clf")
