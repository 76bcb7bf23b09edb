"""The `edu-clf` command: parse options, call the library, print.

Every command turns an EduClfError into one line on stderr and an exit code
(2 usage, 1 data); `--debug` shows the traceback instead.
"""
from __future__ import annotations

import functools
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from edu_clf import __version__
from edu_clf.config import load_label_schema, load_segment_config
from edu_clf.corpus import read_labeled
from edu_clf.errors import EduClfError
from edu_clf.output import CsvWriter, JsonlWriter, TableWriter, open_output
from edu_clf.reports import Skipped, iter_documents

app = typer.Typer(
    name="edu-clf",
    help="Split Chinese education-bureau work reports (工作总结, 工作计划 …) into outline items and label each "
         "item by topic (党建, 教师队伍, 办学条件 …) and kind (achievement / problem / plan).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

STATE = {"debug": False}


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


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"edu-clf {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")] = False,
    version: Annotated[Optional[bool], typer.Option("--version", callback=version_callback, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    STATE["debug"] = debug


INPUTS_HELP = ("Report files (.txt in UTF-8/GB18030/UTF-16, .html, .docx, guide-format .jsonl), folders "
               "(searched recursively), or - for standard input.")


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
    config = load_segment_config()
    skipped: list[Skipped] = []
    docs = iter_documents(inputs, config, skip_errors=skip_errors, skipped=skipped)
    if not skip_errors:
        docs = iter(list(docs))  # read everything first: one bad file writes nothing
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


def main(args: list[str] | None = None) -> None:
    """Console-script entry point."""
    app(args=args, prog_name="edu-clf")
