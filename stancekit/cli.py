"""`python -m stancekit`: a thin command-line layer over the library.

Each subcommand has an `_add_<name>` function that declares its arguments and a
`_run_<name>` function that calls the library. Expected failures (bad input, missing
model) print one line to stderr and exit 1; usage errors exit 2 (argparse's convention).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from stancekit import __version__
from stancekit.errors import StancekitError

DESCRIPTION = """\
stancekit: who said what about a policy question in the news, and where each speaker stands.

Reads articles, extracts claims with their speakers, classifies each claim's stance
(favor / against / none) toward a target and its sentiment, and scores speakers' positions.
"""

EPILOG = """\
examples:
  python -m stancekit train                       train on labels/*.jsonl, write models/
  python -m stancekit score seeds/                score the seed articles into stancekit-out/
  python -m stancekit extract article.txt         print the claims and speakers of an article
  python -m stancekit labels check                validate the files in labels/ against seeds/
  python -m stancekit evaluate --labels FILE      measure a model on a labeled set
"""


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train stance and sentiment classifiers on labeled claims",
        description="Cross-validate each method (folds grouped by article, so no article is "
        "in both train and test; stratified folds when labels have no article), print stance "
        "macro-F1, F_avg, accuracy and sentiment macro-F1, then fit on all labels.",
        epilog="writes OUT/<method>/ with model.json (labels, targets, base model, hashes, "
        "cross-validation figures) beside the weights",
    )
    p.add_argument("--labels", type=Path, action="append", default=None, metavar="PATH",
                   help="label file (.jsonl or .csv) or folder; repeat for several "
                   "(default: labels/, i.e. claims.jsonl and written.jsonl)")
    p.add_argument("--method", choices=("baseline", "finetuned", "all"), default="all",
                   help="which classifier to train (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("models"),
                   help="folder for the trained models (default: %(default)s)")
    p.add_argument("--base-model", default=None,
                   help="encoder to fine-tune: a local folder or Hugging Face id "
                   "(default: the bundled all-MiniLM-L6-v2)")
    p.add_argument("--articles", type=Path, default=Path("seeds"), metavar="DIR",
                   help="the labeled claims' articles, which give each claim its context "
                   "(default: %(default)s; claims of other articles go without)")
    p.add_argument("--context", choices=("yes", "no", "auto"), default="auto",
                   help="read each claim with its previous sentence and headline "
                   "(default: %(default)s = each method's default: no, which measured better "
                   "on the development set)")
    p.add_argument("--epochs", type=_positive_int, default=None,
                   help="fine-tuning epochs (default: sized by the data; see README)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--folds", type=_positive_int, default=5,
                   help="cross-validation folds, at most one per article (default: %(default)s)")
    p.add_argument("--mask-speakers", action="store_true",
                   help="hide each claim's own speaker's name in training and prediction; "
                   "cross-validation then reports masked and unmasked figures")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_run_train)


def _run_train(args: argparse.Namespace) -> int:
    from rich.console import Console

    from stancekit.labels import load_labels
    from stancekit.reading import read_articles
    from stancekit.training import TrainOptions, results_table, train

    paths = args.labels or [Path("labels")]
    claims = load_labels(paths)
    articles = {a.id: a for a in read_articles(args.articles)} if args.articles.is_dir() else {}
    methods = ("baseline", "finetuned") if args.method == "all" else (args.method,)
    context = {"yes": True, "no": False, "auto": None}[args.context]
    options = TrainOptions(base_model=args.base_model, epochs=args.epochs, seed=args.seed,
                           folds=args.folds, context=context, quiet=args.quiet)
    reports = train(claims, methods, args.out, options, mask_speakers=args.mask_speakers,
                    label_files=paths, articles=articles)
    Console().print(results_table(reports))
    for report in reports:
        print(f"wrote {report.folder}/", file=sys.stderr)
    return 0


def _add_score(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score",
        help="score articles: claims, stances and speaker positions",
        description="Read articles, extract claims with their speakers, classify each claim's "
        "stance and sentiment, and score every speaker's position. Results are written as "
        "each batch finishes; bad articles go to errors.jsonl and the run goes on.",
        epilog="writes into OUT: claims.jsonl, speakers.csv, errors.jsonl, report.html "
        "(and claims.csv or claims.parquet with --format)",
    )
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="article files (.txt .jsonl .csv .parquet), folders, or - for stdin")
    p.add_argument("--model", type=Path, default=None,
                   help="trained model folder (default: models/finetuned, else models/baseline)")
    p.add_argument("--target", default=None,
                   help="the question to score stance toward (default: the model's target)")
    p.add_argument("--out", type=Path, default=Path("stancekit-out"),
                   help="output folder (default: %(default)s); a previous run there is "
                   "replaced unless --resume")
    p.add_argument("--format", dest="fmt", choices=("jsonl", "csv", "parquet"), default="jsonl",
                   help="format of the claims table (default: %(default)s)")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted run in OUT instead of starting again")
    p.add_argument("--aliases", type=Path, default=None,
                   help="speaker alias table (JSONL, like labels/speakers.jsonl) to help "
                   "resolve names")
    p.add_argument("--batch-size", type=_positive_int, default=64,
                   help="claims classified per batch (default: %(default)s)")
    p.add_argument("--workers", type=_positive_int, default=1,
                   help="spaCy processes for extraction; with --engine ray, actors per "
                   "stage (default: %(default)s)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="run on this machine, or on a Ray cluster (needs the ray extra: "
                   "pip install 'stancekit[ray]'; see docs/scaling.md) (default: %(default)s)")
    p.add_argument("--ray-address", default=None, metavar="ADDRESS",
                   help="Ray cluster to join with --engine ray (default: RAY_ADDRESS, "
                   "else a new local cluster)")
    p.add_argument("--int8", action="store_true",
                   help="run a fine-tuned model with int8 weights: faster on CPU, accuracy "
                   "in benchmarks/RESULTS.md")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    p.set_defaults(run=_run_score)


def _run_score(args: argparse.Namespace) -> int:
    from stancekit.outputs import print_speaker_table
    from stancekit.scoring import resolve_model, score_to_dir

    if args.ray_address and args.engine != "ray":
        print("stancekit score: error: --ray-address needs --engine ray", file=sys.stderr)
        return 2
    if args.engine == "ray":
        from stancekit.ray_engine import connect

        connect(args.ray_address)
    model = resolve_model(args.model, quantize=args.int8)
    aliases = None
    if args.aliases is not None:
        from stancekit.extraction import AliasTable

        aliases = AliasTable.from_jsonl(args.aliases)
    summary = score_to_dir(args.paths, out=args.out, model=model, target=args.target,
                           aliases=aliases, fmt=args.fmt, resume=args.resume,
                           batch_size=args.batch_size, workers=args.workers,
                           progress=not args.quiet, engine=args.engine)
    if not args.quiet:
        print_speaker_table(summary.positions, title=f"Where speakers stand on: {summary.target}")
    errors = f", {summary.n_errors} errors (see errors.jsonl)" if summary.n_errors else ""
    print(f"scored {summary.n_articles} articles, {summary.n_claims} claims in "
          f"{summary.seconds:.1f}s{errors}; results in {summary.out}/", file=sys.stderr)
    return 0


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="measure a model against a labeled set, stage by stage",
        description="Measure a model on hand-labeled claims: stance and sentiment on the gold "
        "claims, extraction against the gold spans and speakers (with --articles), and "
        "whether each speaker's predicted position has the sign of the labels.",
        epilog="with --cv auto (the default) a model trained on these very labels is "
        "cross-validated by article instead of being scored on its own training data",
    )
    p.add_argument("--labels", type=Path, action="append", default=None, metavar="FILE",
                   help="label file (.jsonl or .csv; repeatable; default labels/claims.jsonl)")
    p.add_argument("--articles", type=Path, default=None, metavar="DIR",
                   help="the labeled articles, to evaluate extraction and end-to-end positions")
    p.add_argument("--model", type=Path, default=None,
                   help="model folder (default: models/finetuned, else models/baseline)")
    p.add_argument("--cv", choices=("auto", "yes", "no"), default="auto",
                   help="cross-validate by article: yes, no, or auto = when the model was "
                   "trained on these labels (default: %(default)s)")
    p.add_argument("--folds", type=_positive_int, default=5,
                   help="folds for --cv (default: %(default)s)")
    p.add_argument("--aliases", type=Path, default=None,
                   help="speaker alias table for extraction (like labels/speakers.jsonl)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.set_defaults(run=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    from stancekit.evaluation import evaluate, trained_on
    from stancekit.labels import load_labels
    from stancekit.outputs import json_safe, print_evaluation
    from stancekit.reading import read_articles
    from stancekit.scoring import resolve_model

    label_files = args.labels or [Path("labels/claims.jsonl")]
    labels = load_labels(label_files)
    model = resolve_model(args.model)
    cross_validate = args.cv == "yes" or (args.cv == "auto" and trained_on(model, label_files))
    articles = list(read_articles(args.articles)) if args.articles else []
    aliases = None
    if args.aliases is not None:
        from stancekit.extraction import AliasTable

        aliases = AliasTable.from_jsonl(args.aliases)
    report = evaluate(labels, model, articles, cross_validate=cross_validate, aliases=aliases,
                      folds=args.folds, quiet=args.json)
    if args.json:
        print(json.dumps(json_safe(report), indent=2, ensure_ascii=False))
    else:
        print_evaluation(report)
    return 0


def _add_extract(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "extract",
        help="extract claims and their speakers from articles",
        description="Split each article's body into claims (one a sentence) and attribute "
        "each to its speaker: direct and reported speech, relays (via), pronouns and titles "
        "resolved to full names; 'narrator' for unattributed news background, "
        "'author:<source>' for an opinion piece's own commentary.",
        epilog="writes JSON Lines: id, article, start, end, text, speaker, via",
    )
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="article files (.txt .jsonl .csv .parquet), folders, or - for stdin")
    p.add_argument("--out", type=Path, default=None,
                   help="output JSONL file (default: standard output)")
    p.add_argument("--aliases", type=Path, default=None,
                   help="speaker alias table (JSONL, like labels/speakers.jsonl) to help "
                   "resolve names")
    p.add_argument("--spacy-model", default="en_core_web_sm",
                   help="spaCy pipeline name or folder (default: %(default)s)")
    p.add_argument("--workers", type=_positive_int, default=1,
                   help="spaCy processes (default: %(default)s)")
    p.set_defaults(run=_run_extract)


def _run_extract(args: argparse.Namespace) -> int:
    import json

    from stancekit.extraction import AliasTable, extract_many, load_nlp
    from stancekit.reading import read_articles, report_to_stderr

    bad: list[StancekitError] = []

    def on_error(error: StancekitError) -> None:
        bad.append(error)
        report_to_stderr(error)

    aliases = AliasTable.from_jsonl(args.aliases) if args.aliases is not None else None
    nlp = load_nlp(args.spacy_model)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    n_articles = n_claims = 0
    try:
        articles = read_articles(args.paths, on_error=on_error)
        for _, claims in extract_many(articles, aliases=aliases, nlp=nlp, n_process=args.workers):
            n_articles += 1
            n_claims += len(claims)
            for claim in claims:
                out.write(json.dumps(claim.to_record(), ensure_ascii=False) + "\n")
            out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"extracted {n_claims} claims from {n_articles} articles"
          + (f" into {args.out}" if args.out else "")
          + (f"; {len(bad)} inputs skipped" if bad else ""), file=sys.stderr)
    return 1 if bad else 0


def _add_labels(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("labels", help="check and summarise hand-labeled claim files",
                       description="Tools for label files (.jsonl or .csv, see labels/GUIDE.md).")
    actions = p.add_subparsers(dest="labels_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="validate label files against their articles",
        description="Check offsets against the article text, unique ids, allowed values, "
        "overlapping spans, and that every body sentence is covered; written labels (origin "
        "\"written\") need no offsets and must have none. Prints one line per problem "
        "(id: field: message) and exits 1 if there is any.",
    )
    check.add_argument("file", nargs="*", type=Path, default=[Path("labels")],
                       help="label files or folders (default: every label file in labels/)")
    check.add_argument("--articles", type=Path, default=Path("seeds"),
                       help="folder of the labeled articles (default: %(default)s)")
    check.set_defaults(run=_run_labels_check)
    stats = actions.add_parser(
        "stats", help="counts by origin, stance, sentiment, speaker and article")
    stats.add_argument("file", nargs="*", type=Path, default=[Path("labels")],
                       help="label files or folders (default: every label file in labels/)")
    stats.set_defaults(run=_run_labels_stats)


def _run_labels_check(args: argparse.Namespace) -> int:
    from stancekit.labels import load_labels, validate_labels

    labels = load_labels(args.file)
    problems = validate_labels(labels, args.articles)
    for problem in problems:
        print(problem)
    if problems:
        shown = ", ".join(str(path) for path in args.file)
        print(f"{len(problems)} problem(s) in {shown}", file=sys.stderr)
        return 1
    labeled = [label for label in labels if label.origin != "written"]
    written = [label for label in labels if label.origin == "written"]
    n_articles = len({label.article for label in labeled if label.article})
    n_groups = len({label.article for label in written if label.article})
    parts = [f"{len(labeled)} labels in {n_articles} articles"] if labeled or not written else []
    if written:
        parts.append(f"{len(written)} written labels in {n_groups} groups")
    print(f"OK: {' and '.join(parts)}; offsets match, ids unique, values allowed, no overlaps, "
          f"every body sentence covered")
    return 0


def _run_labels_stats(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from stancekit.labels import label_stats, load_labels
    from stancekit.records import STANCES

    stats = label_stats(load_labels(args.file))
    console = Console()
    table = Table(title=f"by origin ({stats.total} claims)")
    table.add_column("origin")
    for column in ("claims", *STANCES):
        table.add_column(column, justify="right")
    for name, n in stats.origin.most_common():
        by_stance = stats.origin_stance[name]
        table.add_row(name, str(n), *(str(by_stance[stance]) for stance in STANCES))
    console.print(table)
    for title, counts in (("stance", stats.stance), ("sentiment", stats.sentiment),
                          ("article", stats.article)):
        table = Table(title=f"by {title} ({stats.total} claims)")
        table.add_column(title)
        table.add_column("claims", justify="right")
        table.add_column("share", justify="right")
        for name, n in counts.most_common():
            table.add_row(name, str(n), f"{n / stats.total:.0%}")
        console.print(table)
    table = Table(title="by speaker (a joint claim counts for each speaker)")
    table.add_column("speaker")
    for column in ("claims", *STANCES):
        table.add_column(column, justify="right")
    for name, n in stats.speaker.most_common():
        by_stance = stats.speaker_stance[name]
        table.add_row(name, str(n), *(str(by_stance[stance]) for stance in STANCES))
    console.print(table)
    return 0


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
