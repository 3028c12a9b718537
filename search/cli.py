"""The `cables` command: thin click commands over the Python API.

Errors a user can cause are turned into a one-line message and an exit code here, in
one place (`main`): 1 for a run that skipped input or an index problem, 2 for a usage
or query error. Nothing else in the package prints tracebacks at users.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from indexer.engines.base import IndexProblem, QueryError
from indexer.model import ParseError

DEFAULT_INDEX = "cables-index"


def resolve_index(index: str | None) -> Path:
    """--index DIR, else $CABLES_INDEX, else ./cables-index."""
    return Path(index or os.environ.get("CABLES_INDEX") or DEFAULT_INDEX)


index_option = click.option(
    "--index", "index", metavar="DIR", default=None,
    help="Index directory [default: $CABLES_INDEX, else ./cables-index].",
)


class UserError(click.ClickException):
    """A one-line error with its own exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class CablesGroup(click.Group):
    """Maps the package's user-facing exceptions to one line and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QueryError as exc:
            raise UserError(f"bad query: {exc}", 2) from None
        except (IndexProblem, ParseError) as exc:
            raise UserError(str(exc), 1) from None


@click.group(cls=CablesGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cablesearch")
def cli() -> None:
    """Search archives of diplomatic cables, paragraph by paragraph."""


# --- parse (indexer: formats and cable rules) ---

# --- index, stats, optimize (indexer: build and engine) ---

# --- search, show, similar (search package) ---


def main() -> None:
    """Entry point: `cables`. A closed pipe (`cables search … | head`) is not an error."""
    try:
        cli.main(prog_name="cables")
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
