"""The Ray engine on a local Ray cluster: the local engine's claims, speakers and errors."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

import stancekit
from stancekit.cli import main
from stancekit.errors import StancekitError
from stancekit.models import BaselineClassifier
from stancekit.records import Article
from stancekit.scoring import (
    CLAIMS_FILE,
    ERRORS_FILE,
    PROGRESS_FILE,
    REPORT_FILE,
    SPEAKERS_FILE,
    score_to_dir,
)

ray = pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
POISON = "POISON"


@pytest.fixture(scope="module", autouse=True)
def cluster():
    """A local two-CPU Ray cluster for this module."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The seeds (with their metadata sidecar), a file that is not UTF-8, a malformed JSONL
    line and an article whose id was used before."""
    folder = tmp_path_factory.mktemp("corpus")
    for path in SEEDS.iterdir():
        shutil.copy(path, folder / path.name)
    (folder / "broken.txt").write_bytes(b"Headline\nNot \xff UTF-8.\n")
    extra = {"id": "extra-1", "text": "Ann Lee, the trade minister, said on Monday that the "
             "tariff plan would hurt farmers."}
    (folder / "more.jsonl").write_text(json.dumps(extra) + "\n{oops\n", encoding="utf-8")
    (folder / "zz-again.jsonl").write_text(json.dumps(extra) + "\n", encoding="utf-8")
    return folder


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def runs(model_dir, corpus, tmp_path_factory) -> tuple[Path, Path]:
    """The corpus scored by the local engine and by the Ray engine with two workers."""
    local, on_ray = tmp_path_factory.mktemp("local"), tmp_path_factory.mktemp("ray")
    score_to_dir([corpus], out=local, model=model_dir, progress=False)
    score_to_dir([corpus], out=on_ray, model=model_dir, progress=False, workers=2, engine="ray")
    return local, on_ray


def assert_same_run(local: Path, on_ray: Path) -> None:
    for name in (CLAIMS_FILE, PROGRESS_FILE, SPEAKERS_FILE):
        assert lines(on_ray / name) == lines(local / name), name
    assert sorted(lines(on_ray / ERRORS_FILE)) == sorted(lines(local / ERRORS_FILE))


def test_ray_engine_gives_the_local_engines_result(runs):
    local, on_ray = runs
    assert_same_run(local, on_ray)
    assert len(lines(on_ray / PROGRESS_FILE)) == 6 and len(lines(on_ray / ERRORS_FILE)) == 3
    assert (on_ray / REPORT_FILE).read_text(encoding="utf-8").startswith("<!DOCTYPE")


def test_an_interrupted_ray_run_resumes_to_the_same_result(runs, model_dir, corpus, tmp_path):
    local, on_ray = runs
    out = tmp_path / "run"
    shutil.copytree(on_ray, out)
    finished = lines(out / PROGRESS_FILE)[:2]
    done = {json.loads(line)["id"] for line in finished}
    kept = [line for line in lines(out / CLAIMS_FILE) if json.loads(line)["article"] in done]
    (out / CLAIMS_FILE).write_text("\n".join(kept) + '\n{"id": "torn', encoding="utf-8")
    (out / PROGRESS_FILE).write_text("".join(line + "\n" for line in finished))
    (out / ERRORS_FILE).write_text("", encoding="utf-8")

    score_to_dir([corpus], out=out, model=model_dir, progress=False, resume=True, engine="ray")

    assert_same_run(local, out)


class PoisonedModel:
    """The baseline, except that it fails on any batch with a claim containing POISON."""

    def __init__(self, model: BaselineClassifier) -> None:
        self.model, self.card = model, model.card

    def predict(self, texts, **kwargs):
        if any(POISON in text for text in texts):
            raise RuntimeError("poisoned claim")
        return self.model.predict(texts, **kwargs)


def test_a_failing_article_goes_to_errors_and_the_rest_go_on(model_dir):
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    text = "Officials met on Monday.\n\nThe minister, Jo Park, said the plan {} would bring " \
           "lasting peace and urged allies to back it."
    articles = [Article(id=f"a{i}", text=text.format(POISON if i == 1 else "")) for i in range(3)]
    model = PoisonedModel(BaselineClassifier.from_pretrained(model_dir))

    result = stancekit.score(articles, model=model, engine="ray")

    assert [(e["article"], e["stage"]) for e in result.errors] == [("a1", "classify")]
    assert set(result.claims["article"]) == {"a0", "a2"} and result.n_articles == 2


def test_cli_engine_ray_on_a_single_file(model_dir, tmp_path, capsys):
    article = SEEDS / "002_5204538de70511ff.txt"  # an opinion piece, per the folder's sidecar
    score_to_dir([article], out=tmp_path / "local", model=model_dir, progress=False)
    code = main(["score", str(article), "--model", str(model_dir), "--out", str(tmp_path / "ray"),
                 "--engine", "ray", "--quiet"])
    assert code == 0
    assert lines(tmp_path / "ray" / CLAIMS_FILE) == lines(tmp_path / "local" / CLAIMS_FILE)
    assert main(["score", str(SEEDS), "--ray-address", "auto"]) == 2
    assert "--ray-address needs --engine ray" in capsys.readouterr().err


def test_without_ray_the_error_says_how_to_install_it(monkeypatch):
    from stancekit.engines.ray import connect

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(StancekitError, match=r"pip install 'stancekit\[ray\]'"):
        connect()


def test_hostile_inputs_give_the_local_engines_errors_and_results(model_dir, tmp_path):
    corpus = tmp_path / "hostile"
    shutil.copytree(Path(__file__).resolve().parent / "hostile", corpus)
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    score_to_dir([corpus], out=local, model=model_dir, progress=False)
    score_to_dir([corpus], out=on_ray, model=model_dir, progress=False, engine="ray")
    assert_same_run(local, on_ray)
    assert len(lines(on_ray / ERRORS_FILE)) == 11
