"""The `edu-clf` command: parse options, call the library, print.

Every command turns an EduClfError into one line on stderr and an exit code
(2 usage, 1 data); `--debug` shows the traceback instead.
"""
from __future__ import annotations

import functools
import json
import sys
import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from edu_clf import __version__
from edu_clf.config import load_label_schema, load_segment_config
from edu_clf.io.corpus import read_labeled
from edu_clf.errors import EduClfError, UsageError
from edu_clf.report.writers import CsvWriter, JsonlWriter, TableWriter, open_output
from edu_clf.pipeline import Skipped, iter_documents

app = typer.Typer(
    name="edu-clf",
    help="Split Chinese education-bureau work reports (工作总结, 工作计划 …) into outline items and label each "
         "item by topic (党建, 教师队伍, 办学条件 …) and kind (achievement / problem / plan).",
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
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                return func(*args, **kwargs)
        except EduClfError as exc:
            if STATE["debug"]:
                raise
            fail(exc.describe(), exc.exit_code)
        except KeyboardInterrupt:
            typer.echo("edu-clf: interrupted; nothing was written", err=True)
            raise typer.Exit(130)
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0)
    return wrapper


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


INPUTS_HELP = ("Report files (.txt in UTF-8/GB18030/UTF-16, .html, .docx, guide-format .jsonl), folders "
               "(searched recursively for .txt/.html/.docx reports), or - for standard input.")


def report_skipped(skipped: list[Skipped]) -> None:
    for entry in skipped:
        typer.echo(f"edu-clf: skipped {entry.reason}", err=True)
    if skipped:
        typer.echo(f"edu-clf: {len(skipped)} file(s) skipped", err=True)


@app.command()
@handle_errors
def segment(
    inputs: Annotated[list[str], typer.Argument(help=INPUTS_HELP, show_default=False)],
    format: Annotated[Format, typer.Option("--format", "-f", help="table for people; jsonl (guide format, "
                                                                  "ready to annotate) or csv for programs.")] = Format.table,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
    skip_errors: Annotated[bool, typer.Option("--skip-errors", help="Skip unreadable files (listed on stderr) "
                                                                     "instead of stopping.")] = False,
) -> None:
    """Split reports into outline items with their context (title, heading path).

    Example: edu-clf segment seeds/002_faffd9a2ed2f71c6.txt --format jsonl > items.jsonl
    """
    from edu_clf.io import iter_input_paths
    from edu_clf.report.writers import check_writable

    check_writable(out, [*inputs, *iter_input_paths(inputs)] if out is not None else ())
    config = load_segment_config()
    skipped: list[Skipped] = []
    # to stdout, every file is read once first so that one bad file writes nothing; a --out
    # file is written atomically and simply discarded on error (memory stays flat either way)
    docs = iter_documents(inputs, config, skip_errors=skip_errors, skipped=skipped, precheck=out is None,
                          warn=warn)
    with open_output(out) as stream:
        if format is Format.table:
            writer = TableWriter(stream, [("doc_id", 24), ("item", 4), ("heading", 24), ("text", 60)])
            for doc in docs:
                for it in doc.items:
                    writer.row([doc.doc_id, str(it.item), it.headings[-1] if it.headings else "", it.text])
        elif format is Format.jsonl:
            jw = JsonlWriter(stream)
            for doc in docs:
                for it in doc.items:
                    jw.row(it.to_dict(labels=False))
        else:
            cw = CsvWriter(stream, ["doc_id", "item", "title", "headings", "text"])
            for doc in docs:
                for it in doc.items:
                    cw.row(it.to_dict(labels=False))
    report_skipped(skipped)


@app.command()
@handle_errors
def validate(
    data: Annotated[list[Path], typer.Argument(help="Labeled JSONL or CSV files in the guide's format.",
                                               show_default=False)],
) -> None:
    """Check labeled files against configs/labels.toml: fields, ids, duplicates.

    Errors name the file and line. Exit code 0 when every file is valid.
    """
    count = len(read_labeled(data, load_label_schema()))
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
) -> None:
    """Train a model on labeled items and write it atomically, with its metadata.

    Example: edu-clf train my_labels.jsonl --out models/mine.skops --set model.C=2
    """
    from edu_clf.config import load_label_schema, load_train_config
    from edu_clf.report.writers import check_writable
    from edu_clf.model.persist import save_model
    from edu_clf.model.train import default_data_paths, load_training_items, train_model

    cfg = load_train_config(config, set_ or [])
    schema = load_label_schema()
    paths = list(data) if data else default_data_paths(cfg)
    items = load_training_items(paths, schema)
    progress(f"training on {len(items)} items from {len(paths)} file(s)")
    target = out or Path.cwd() / Path(cfg.data.model).name
    if out is None:
        progress(f"no --out given: the model goes to {target} (the shipped model is never overwritten)")
    check_writable(target, paths)
    model = train_model(items, cfg, schema, paths, cv=cv, progress=progress, jobs=jobs)
    save_model(model, target, format.value)
    cv_scores = model.meta.metrics.get("cv", {})
    if "kind" in cv_scores:
        typer.echo(f"{cv_scores['method']} CV: kind macro-F1 {cv_scores['kind']['macro_f1']:.3f}, "
                   f"topic macro-F1 {cv_scores['topic']['macro_f1']:.3f}")
    typer.echo(f"wrote {target}")


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
) -> None:
    """Score a model on held-out gold items, or cross-validate a config.

    Examples: edu-clf evaluate seeds/labels.jsonl --model models/mine.skops
              edu-clf evaluate seeds/labels.jsonl corpus/labels/*.jsonl --cv --views all -j 2
              edu-clf evaluate seeds/labels.jsonl --cv --set features.context=false
    """
    from edu_clf.config import load_label_schema, load_train_config
    from edu_clf.model.evaluate import cross_validate_views, evaluate_estimator, format_evaluation, format_views
    from edu_clf.model.persist import load_model
    from edu_clf.model.train import build_estimator, load_training_items

    from edu_clf.report.writers import check_writable

    check_writable(errors, data, "--errors")
    check_writable(plot, data, "--plot")
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
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes for large inputs.")] = 1,
) -> None:
    """Label every outline item of reports by kind and topic, with scores.

    Examples: edu-clf predict seeds/000_a2250ef0bda6fe1b.txt
              edu-clf predict reports/ --format jsonl > labels.jsonl
              edu-clf predict --text "下半年将继续推进校舍改造工程。"
    """
    from edu_clf.io import iter_input_paths, report_kind
    from edu_clf.model.persist import load_model
    from edu_clf.model.predict import text_item
    from edu_clf.pipeline import jsonl_of, predict_files, predict_items, predict_stream
    from edu_clf.pipeline import check_inputs, no_items_message

    from edu_clf.report.writers import check_writable

    if (text is None) == (not inputs):
        raise UsageError("give report files/folders, or --text \"...\" (one of the two)")
    if text is not None and not text.strip():
        raise UsageError("--text is empty; give the item's text")
    check_writable(out, [*inputs, *iter_input_paths(inputs)] if inputs and out is not None else ())
    trained = load_model(model, trust_pickle=trust_pickle)
    if text is not None:
        predictions = iter(predict_items(trained, [text_item(text)], top_k=top_k, explain=explain))
    else:
        config = load_segment_config()
        skipped: list[Skipped] = []
        paths = list(iter_input_paths(inputs))
        if jobs > 1 and not any(p == "-" or report_kind(p) == "jsonl" for p in paths):
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
                                        render=jsonl_of if format is Format.jsonl else None)
        else:
            # as for segment: a pre-read only when writing to stdout
            docs = iter_documents(paths, config, skip_errors=skip_errors, skipped=skipped, precheck=out is None,
                                  warn=warn)
            predictions = predict_stream(trained, docs, chunk_size=chunk_size, top_k=top_k, explain=explain,
                                         jobs=jobs)
    count = 0
    with open_output(out) as stream:
        if format is Format.table:
            writer = TableWriter(stream, [("doc_id", 22), ("item", 4), ("kind", 11), ("topic", 18),
                                          ("score", 9), ("text", 40)])
            for p in predictions:
                writer.row([p.doc_id, str(p.item), p.kind, p.topic, f"{p.kind_score:.2f}/{p.topic_score:.2f}",
                            p.text])
                count += 1
        elif format is Format.jsonl:
            jw = JsonlWriter(stream)
            for p in predictions:
                jw.row(p if isinstance(p, str) else p.to_dict())
                count += 1
        else:
            columns = ["doc_id", "item", "title", "headings", "text", "kind", "kind_score", "topic", "topic_score"]
            if top_k > 1:
                columns += ["kind_top", "topic_top"]
            if explain:
                columns += ["explain"]
            cw = CsvWriter(stream, columns)
            for p in predictions:
                cw.row(p.to_dict())
                count += 1
    if text is None:
        report_skipped(skipped)
        progress(f"labeled {count} items")


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
) -> None:
    """Write an HTML page: each report's outline coloured by kind, topics with scores, profiles.

    Example: edu-clf report seeds/ --out seeds.html   (then open seeds.html in a browser)
    """
    from edu_clf.config import load_report_config
    from edu_clf.report.html import render_report
    from edu_clf.model.persist import load_model
    from edu_clf.pipeline import predict_documents

    from edu_clf.io import iter_input_paths
    from edu_clf.report.writers import check_writable

    check_writable(out, [*inputs, *iter_input_paths(inputs)])
    cfg = load_report_config()
    trained = load_model(model, trust_pickle=trust_pickle)
    skipped: list[Skipped] = []
    # every document is labeled before the page is written: no pre-read needed
    docs = iter_documents(inputs, load_segment_config(), skip_errors=skip_errors, skipped=skipped, warn=warn)
    labeled = list(predict_documents(trained, docs, explain=cfg.explain_terms if explain is None else explain))
    cv = trained.meta.metrics.get("cv", {})
    note = (f"模型留一文档交叉验证：类型 macro-F1 {cv['kind']['macro_f1']:.2f}，主题 macro-F1 "
            f"{cv['topic']['macro_f1']:.2f}") if "kind" in cv else ""
    page = render_report(labeled, load_label_schema(), cfg, note)
    with open_output(out) as stream:
        stream.write(page)
    report_skipped(skipped)
    typer.echo(f"wrote {out}: {len(labeled)} document(s), {sum(len(d.predictions) for d in labeled)} items")


@app.command()
@handle_errors
def info(
    model: Annotated[Optional[Path], typer.Argument(help="Model file (default: the shipped model).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the metadata as JSON.")] = False,
    trust_pickle: TrustOption = False,
) -> None:
    """Print a model's metadata: versions, label schema, config, training data, CV scores."""
    from edu_clf import kernels
    from edu_clf.model.persist import load_model
    meta = load_model(model, trust_pickle=trust_pickle).meta.to_dict()
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
    if "kind" in cv:
        typer.echo(f"{cv['method']} CV on {cv['n_scored']} items: kind macro-F1 {cv['kind']['macro_f1']:.3f}, "
                   f"topic macro-F1 {cv['topic']['macro_f1']:.3f}")
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
    """Count labeled items per kind × topic and per source (seed / written)."""
    from edu_clf.report.stats import corpus_stats, format_stats
    schema = load_label_schema()
    result = corpus_stats(read_labeled(data, schema), schema)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1) if json_ else format_stats(result, schema))


def main(args: list[str] | None = None) -> None:
    """Console-script entry point."""
    app(args=args, prog_name="edu-clf")
