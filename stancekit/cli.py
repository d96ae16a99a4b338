"""`python -m stancekit`: a thin command-line layer over the library.

Each subcommand has an `_add_<name>` function that declares its arguments and a
`_run_<name>` function that calls the library. Expected failures (bad input, missing
model) print one line to stderr and exit 1; usage errors exit 2 (argparse's convention).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from stancekit import __version__
from stancekit.errors import StancekitError

DESCRIPTION = """\
stancekit: who said what about a policy question in the news, and where each speaker stands.

Reads articles, extracts claims with their speakers, classifies each claim's stance
(favor / against / none) toward a target and its sentiment, and scores speakers' positions.
"""

EPILOG = """\
examples:
  python -m stancekit train                       train on labels/claims.jsonl, write models/
  python -m stancekit score seeds/                score the seed articles into stancekit-out/
  python -m stancekit extract article.txt         print the claims and speakers of an article
  python -m stancekit labels check                validate labels/claims.jsonl against seeds/
  python -m stancekit evaluate --labels FILE      measure a model on a labeled set
"""


def _not_built(name: str, issue: str):
    def run(args: argparse.Namespace) -> int:
        print(f"stancekit {name}: not built yet ({issue}); nothing was done.", file=sys.stderr)
        return 1

    return run


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train stance and sentiment classifiers on labeled claims")
    p.set_defaults(run=_not_built("train", "the classifiers are not in this build"))


def _add_score(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score articles: claims, stances and speaker positions")
    p.set_defaults(run=_not_built("score", "batch scoring is not in this build"))


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="measure a model against a labeled set, stage by stage")
    p.set_defaults(run=_not_built("evaluate", "evaluation is not in this build"))


def _add_extract(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="extract claims and their speakers from articles")
    p.set_defaults(run=_not_built("extract", "claim extraction is not in this build"))


def _add_labels(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("labels", help="check and summarise hand-labeled claim files")
    p.set_defaults(run=_not_built("labels", "label tools are not in this build"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stancekit",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"stancekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (_add_train, _add_score, _add_evaluate, _add_extract, _add_labels):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except StancekitError as err:
        print(f"stancekit {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"stancekit {args.command}: interrupted", file=sys.stderr)
        return 130
