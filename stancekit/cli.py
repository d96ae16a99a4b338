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

from stancekit.errors import StancekitError
from stancekit.periods import PERIODS
from stancekit.version import __version__

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
  python -m stancekit suggest new/ --model DIR     the claims of new/ most worth labeling next
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
    p.add_argument("--folds", type=_positive_int, default=3,
                   help="cross-validation folds, at most one per article (default: %(default)s, "
                   "which keeps the default training under 15 minutes on 2 cores)")
    p.add_argument("--mask-speakers", action="store_true",
                   help="hide each claim's own speaker's name in training and prediction; "
                   "cross-validation then reports masked and unmasked figures")
    p.add_argument("--real-repeats", type=_positive_int, default=None, metavar="N",
                   help="read each claim of a real article N times when written claims "
                   "(origin \"written\") are also given (default: each method's: 1 for the "
                   "baseline, 3 for the fine-tuned model)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_run_train)


def _run_train(args: argparse.Namespace) -> int:
    from rich.console import Console

    from stancekit.labels import load_labels
    from stancekit.outputs import results_table
    from stancekit.reading import read_articles
    from stancekit.training import TrainOptions, train

    paths = args.labels or [Path("labels")]
    claims = load_labels(paths)
    articles = {a.id: a for a in read_articles(args.articles)} if args.articles.is_dir() else {}
    methods = ("baseline", "finetuned") if args.method == "all" else (args.method,)
    context = {"yes": True, "no": False, "auto": None}[args.context]
    options = TrainOptions(base_model=args.base_model, epochs=args.epochs, seed=args.seed,
                           folds=args.folds, context=context, quiet=args.quiet,
                           real_repeats=args.real_repeats)
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
        epilog="writes into OUT: claims.jsonl, progress.jsonl, errors.jsonl, run.json, "
        "speakers.csv, report.html (and claims.csv or claims.parquet with --format, "
        "positions_over_time.csv with --by); exits 1 when no article was scored",
    )
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="article files (.txt .html .jsonl .csv .parquet), folders, or - for stdin")
    p.add_argument("--model", type=Path, default=None,
                   help="trained model folder (default: models/finetuned, else models/baseline)")
    p.add_argument("--target", default=None,
                   help="the question to score stance toward (default: the model's target)")
    p.add_argument("--out", type=Path, default=Path("stancekit-out"),
                   help="output folder (default: %(default)s); a folder holding another "
                   "run is refused unless --overwrite or --resume")
    p.add_argument("--format", dest="fmt", choices=("jsonl", "csv", "parquet"), default="jsonl",
                   help="format of the claims table (default: %(default)s)")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted run in OUT (same model, target and settings) "
                   "instead of starting again")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run in OUT (kept until this run has scored something)")
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
    p.add_argument("--by", choices=PERIODS, default=None,
                   help="also score each speaker per month, quarter or year of the articles' "
                   "dates (metadata, else a date at the top of the text) into "
                   "positions_over_time.csv and the report")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    _add_no_verify(p)
    p.set_defaults(run=_run_score)


def _run_score(args: argparse.Namespace) -> int:
    from stancekit.outputs import print_speaker_table
    from stancekit.scoring import score_to_dir

    if args.ray_address and args.engine != "ray":
        print("stancekit score: error: --ray-address needs --engine ray", file=sys.stderr)
        return 2
    if args.resume and args.overwrite:
        print("stancekit score: error: --resume and --overwrite exclude each other",
              file=sys.stderr)
        return 2
    if args.engine == "ray":
        from stancekit.engines.ray import connect

        connect(args.ray_address)
    aliases = None
    if args.aliases is not None:
        from stancekit.extraction import AliasTable

        aliases = AliasTable.from_jsonl(args.aliases)
    summary = score_to_dir(args.paths, out=args.out, model=args.model, target=args.target,
                           aliases=aliases, fmt=args.fmt, resume=args.resume,
                           batch_size=args.batch_size, workers=args.workers,
                           progress=not args.quiet, engine=args.engine,
                           overwrite=args.overwrite, quantize=args.int8, by=args.by,
                           verify=not args.no_verify,
                           notify=lambda line: print(f"stancekit score: {line}", file=sys.stderr))
    errors = (f", {summary.n_errors} errors (see {summary.out / 'errors.jsonl'})"
              if summary.n_errors else "")
    if summary.n_articles == 0:
        kept = f"; what {summary.out} held is kept" if args.overwrite or args.resume else ""
        print(f"stancekit score: error: no article was scored ({summary.n_errors} errors, "
              f"listed above){kept}", file=sys.stderr)
        return 1
    if not args.quiet:
        print_speaker_table(summary.positions, title=f"Where speakers stand on: {summary.target}")
    print(f"scored {summary.n_articles} articles, {summary.n_claims} claims in "
          f"{summary.seconds:.1f}s with model {summary.model}{errors}; "
          f"report: {summary.out / 'report.html'}", file=sys.stderr)
    return 0


def _add_no_verify(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-verify", action="store_true",
                   help="load a model whose files differ from the sha256 digests its "
                   "model.json records (weights you changed on purpose); the other "
                   "integrity checks still run")


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
    _add_no_verify(p)
    p.set_defaults(run=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    from stancekit.evaluation import evaluate, trained_on
    from stancekit.labels import load_labels
    from stancekit.outputs import json_safe, print_evaluation
    from stancekit.reading import read_articles
    from stancekit.scoring import resolve_model

    label_files = args.labels or [Path("labels/claims.jsonl")]
    labels = load_labels(label_files)
    model = resolve_model(args.model, verify=not args.no_verify)
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
        "'author:<source>' for an opinion piece's own commentary. An article that fails is "
        "reported on stderr and the others go on.",
        epilog="writes JSON Lines: id, article, start, end, text, speaker, via, rule",
    )
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="article files (.txt .html .jsonl .csv .parquet), folders, or - for stdin")
    p.add_argument("--out", type=Path, default=None,
                   help="output JSONL file (default: standard output)")
    p.add_argument("--aliases", type=Path, default=None,
                   help="speaker alias table (JSONL, like labels/speakers.jsonl) to help "
                   "resolve names")
    p.add_argument("--spacy-model", default="en_core_web_sm",
                   help="spaCy pipeline name or folder (default: %(default)s)")
    p.add_argument("--workers", type=_positive_int, default=1,
                   help="spaCy processes (default: %(default)s)")
    p.add_argument("--explain", action="store_true",
                   help="print, per claim, the rule that named its speaker and the words it "
                   "fired on (the JSON Lines then go only to --out)")
    p.set_defaults(run=_run_extract)


def _run_extract(args: argparse.Namespace) -> int:
    import json

    from stancekit.extraction import AliasTable, explain_many, load_nlp
    from stancekit.extraction.identity import identify
    from stancekit.reading import read_articles, report_to_stderr
    from stancekit.records import Article

    bad: list[StancekitError | Exception] = []

    def on_error(error: StancekitError) -> None:
        bad.append(error)
        report_to_stderr(error)

    def on_article_error(article: Article, error: Exception) -> None:
        bad.append(error)
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        print(f"stancekit: skipped article {article.id}: {reason}", file=sys.stderr)

    aliases = AliasTable.from_jsonl(args.aliases) if args.aliases is not None else None
    nlp = load_nlp(args.spacy_model)
    to_stdout = args.out is None and not args.explain
    out = sys.stdout if to_stdout else open(args.out, "w", encoding="utf-8") if args.out else None  # noqa: SIM115
    n_articles = n_claims = 0
    try:
        articles = read_articles(args.paths, on_error=on_error)
        explained = explain_many(articles, aliases=aliases, nlp=nlp, n_process=args.workers,
                                 on_error=on_article_error)
        for _, found in identify(explained, aliases=aliases):
            n_articles += 1
            n_claims += len(found)
            for item in found:
                claim = item.claim
                if out is not None:
                    out.write(json.dumps(claim.to_record() | {"rule": claim.rule},
                                         ensure_ascii=False) + "\n")
                if args.explain:
                    print(f"{claim.id}\t{claim.speaker}\t{claim.rule}"
                          f"\t{' '.join(item.evidence) or '-'}\t{claim.text[:80]}")
            if out is not None:
                out.flush()
    finally:
        if out is not None and out is not sys.stdout:
            out.close()
    print(f"extracted {n_claims} claims from {n_articles} articles"
          + (f" into {args.out}" if args.out else "")
          + (f"; {len(bad)} inputs skipped" if bad else ""), file=sys.stderr)
    return 1 if bad else 0


def _add_suggest(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "suggest",
        help="pick the claims of new articles most worth labeling next",
        description="Extract the claims of articles, score them with a model (if given), and "
        "write the claims most worth labeling next, diversified so that near-duplicates and "
        "one speaker do not crowd the list. Without --model: a cold start of diverse claims "
        "close to the target text.",
        epilog="writes JSONL in the labeling guide's format (stance empty, offsets kept) with "
        "context, suggested_stance, stance_probs, priority and reason; send it to a tool with "
        "`labels export`",
    )
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="article files (.txt .html .jsonl .csv .parquet), folders, or - for stdin")
    p.add_argument("--model", type=Path, default=None,
                   help="trained model folder to score the claims (default: none, cold start)")
    p.add_argument("--target", default=None,
                   help="the question to label stance toward (default: the model's target)")
    p.add_argument("-n", type=_positive_int, default=50,
                   help="how many claims to suggest (default: %(default)s)")
    p.add_argument("--strategy", choices=("uncertainty", "diverse", "speakers"),
                   default="uncertainty",
                   help="uncertain stance, diverse coverage, or claims that would most move an "
                   "undecided speaker's position (default: %(default)s)")
    p.add_argument("--labels", type=Path, action="append", default=None, metavar="PATH",
                   help="labels you already have (repeatable): their claims are not suggested "
                   "again and claims like them count as redundant")
    p.add_argument("--aliases", type=Path, default=None,
                   help="speaker alias table (JSONL, like labels/speakers.jsonl)")
    p.add_argument("--out", type=Path, default=None,
                   help="output JSONL file (default: standard output)")
    p.set_defaults(run=_run_suggest)


def _run_suggest(args: argparse.Namespace) -> int:
    from stancekit.annotation import suggest, write_tasks
    from stancekit.labels import load_labels
    from stancekit.reading import read_articles

    model = None
    if args.model is not None:
        from stancekit import load

        model = load(args.model)
    aliases = None
    if args.aliases is not None:
        from stancekit.extraction import AliasTable

        aliases = AliasTable.from_jsonl(args.aliases)
    labeled = load_labels(args.labels) if args.labels else []
    tasks = suggest(read_articles(args.paths), model=model, target=args.target, n=args.n,
                    strategy=args.strategy, labeled=labeled, aliases=aliases)
    if args.out is None:
        for task in tasks:
            print(json.dumps(task.to_record(), ensure_ascii=False))
    else:
        write_tasks(tasks, args.out)
    how = args.strategy if model is not None else "diverse (cold start, no model)"
    print(f"suggested {len(tasks)} claims to label ({how})"
          + (f" in {args.out}" if args.out else ""), file=sys.stderr)
    return 0


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
    _add_labels_exchange(actions)


def _add_labels_exchange(actions: argparse._SubParsersAction) -> None:
    tools = ("labelstudio", "doccano", "prodigy")
    export = actions.add_parser(
        "export", help="write claims for Label Studio, doccano or Prodigy",
        description="Write claims to label (suggest output) or labels to review (a label "
        "file) in an annotation tool's import format. Label Studio: tasks JSON with "
        "predictions, plus the labeling config (OUT with suffix .xml). doccano: "
        "text-classification JSONL. Prodigy: choice tasks JSONL.",
    )
    export.add_argument("file", type=Path, help="suggest output or label file (.jsonl/.csv)")
    export.add_argument("--to", dest="tool", choices=tools, required=True,
                        help="the annotation tool")
    export.add_argument("--out", type=Path, default=None,
                        help="output file (default: FILE's name with -<tool>.json[l])")
    export.add_argument("--articles", type=Path, default=None, metavar="DIR",
                        help="the claims' articles, to show each claim in context")
    export.set_defaults(run=_run_labels_export)
    imp = actions.add_parser(
        "import", help="read an annotation tool's export back as labels",
        description="Read Label Studio's JSON export (not JSON-MIN), doccano's JSONL export or "
        "Prodigy's db-out JSONL, check each label, and merge them into a label file (a claim "
        "labeled again replaces its old label; a taken id gets the next free one).",
    )
    imp.add_argument("file", type=Path, help="the tool's export file")
    imp.add_argument("--from", dest="tool", choices=tools, required=True,
                     help="the annotation tool")
    imp.add_argument("--into", type=Path, required=True,
                     help="label file to merge into, created if missing")
    imp.add_argument("--articles", type=Path, default=None, metavar="DIR",
                     help="the labeled articles, to check offsets against their text")
    imp.set_defaults(run=_run_labels_import)


def _run_labels_export(args: argparse.Namespace) -> int:
    from stancekit.annotation import add_context, export_tasks, read_tasks
    from stancekit.reading import read_articles

    tasks = read_tasks(args.file)
    if args.articles is not None:
        tasks = add_context(tasks, read_articles(args.articles))
    suffix = ".json" if args.tool == "labelstudio" else ".jsonl"
    out = args.out or args.file.with_name(f"{args.file.stem}-{args.tool}{suffix}")
    files = export_tasks(tasks, args.tool, out)
    print(f"wrote {len(tasks)} claims for {args.tool}: {', '.join(map(str, files))}",
          file=sys.stderr)
    return 0


def _run_labels_import(args: argparse.Namespace) -> int:
    from stancekit.annotation import import_labels, merge_labels, write_labels
    from stancekit.labels import load_labels, validate_labels

    imported = import_labels(args.file, args.tool)
    existing = load_labels(args.into) if args.into.exists() else []
    merged = merge_labels(existing, imported.labels)
    if args.articles is not None:
        problems = validate_labels(merged.labels, args.articles)
        # Articles labeled claim by claim from suggestions are not fully covered yet.
        uncovered = sum(problem.field == "coverage" for problem in problems)
        problems = [problem for problem in problems if problem.field != "coverage"]
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} problem(s); {args.into} left unchanged", file=sys.stderr)
            return 1
        if uncovered:
            print(f"note: {uncovered} body sentences of the articles are still unlabeled "
                  f"(`labels check {args.into}` lists them)", file=sys.stderr)
    write_labels(merged.labels, args.into)
    skipped = ", ".join(f"{n} {why}" for why, n in imported.skipped.items())
    renamed = ", ".join(f"{old} -> {new}" for old, new in merged.renamed.items())
    print(f"imported {len(imported.labels)} labels into {args.into}: {merged.added} added, "
          f"{merged.updated} updated" + (f"; skipped {skipped}" if skipped else "")
          + (f"; new ids {renamed}" if renamed else ""), file=sys.stderr)
    return 0


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
    from stancekit.labels import label_stats, load_labels
    from stancekit.outputs import print_label_stats

    print_label_stats(label_stats(load_labels(args.file)))
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
    for add in (_add_train, _add_score, _add_evaluate, _add_extract, _add_labels,
                _add_suggest):
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
