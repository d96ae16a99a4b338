"""The annotation loop: suggest, and round trips through Label Studio, doccano and Prodigy.

Each round trip exports the shipped labels in a tool's import format, edits the file the way
the tool's own export would shape it (ids, timestamps, hashes, an annotator's changes), reads
it back, and checks that nothing was lost and that the result passes `labels check`.
"""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import stancekit
from stancekit.annotation import (
    TOOLS,
    AnnotationTask,
    ClaimEncoder,
    add_context,
    claim_context,
    export_tasks,
    from_doccano,
    from_labelstudio,
    from_prodigy,
    import_labels,
    labelstudio_config,
    merge_labels,
    read_tasks,
    speaker_impact,
    suggest,
    to_doccano,
    to_labelstudio,
    to_prodigy,
    uncertainty,
    write_labels,
    write_tasks,
)
from stancekit.cli import main
from stancekit.errors import LabelError
from stancekit.labels import load_labels, validate_labels
from stancekit.reading import read_articles
from stancekit.records import Article, LabeledClaim, Prediction

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
LABELS = ROOT / "labels" / "claims.jsonl"


@pytest.fixture(scope="module")
def seed_labels() -> list[LabeledClaim]:
    return load_labels(LABELS)


@pytest.fixture(scope="module")
def seed_tasks(seed_labels) -> list[AnnotationTask]:
    tasks = [AnnotationTask.from_label(label) for label in seed_labels]
    return add_context(tasks, read_articles(SEEDS))


def _edited(labels: list[LabeledClaim]) -> list[LabeledClaim]:
    """What the annotator in each round trip does: relabel the first claim, fix the speaker
    of the second."""
    out = list(labels)
    flipped = "against" if out[0].stance != "against" else "favor"
    out[0] = replace(out[0], stance=flipped, sentiment="negative")
    out[1] = replace(out[1], speaker="Somebody Else")
    return out


# --- Label Studio ---------------------------------------------------------------------------


def _labelstudio_export(tasks: list[dict]) -> list[dict]:
    """Label Studio's JSON export of imported tasks: ids, completed annotations with region
    ids and metadata, and the annotator's edits to the first two tasks."""
    exported = []
    for number, task in enumerate(copy.deepcopy(tasks), start=1):
        for annotation in task.get("annotations", []):
            annotation.update(id=1000 + number, completed_by=1, was_cancelled=False,
                              ground_truth=False, created_at="2026-01-01T00:00:00Z",
                              lead_time=3.2, task=number)
            for i, region in enumerate(annotation["result"]):
                region.update(id=f"r{number}_{i}", origin="manual")
        exported.append({"id": number, **task, "predictions": [], "project": 1,
                         "created_at": "2026-01-01T00:00:00Z"})
    first, second = exported[0]["annotations"][0]["result"], exported[1]["annotations"][0]["result"]
    for region in first:
        if region["from_name"] == "stance":
            region["value"]["choices"] = ["against" if region["value"]["choices"] != ["against"]
                                          else "favor"]
        if region["from_name"] == "sentiment":
            region["value"]["choices"] = ["negative"]
    for region in second:
        if region["from_name"] == "speaker":
            region["value"]["text"] = ["Somebody Else"]
    # a later task the annotator skipped: a cancelled annotation is no label
    exported.append({"id": 999, "data": dict(exported[2]["data"], claim_id="999-001"),
                     "annotations": [{"result": [], "was_cancelled": True}]})
    return exported


def test_labelstudio_round_trip_loses_nothing(seed_labels, seed_tasks, tmp_path):
    files = export_tasks(seed_tasks, "labelstudio", tmp_path / "tasks.json")
    assert [f.name for f in files] == ["tasks.json", "tasks.xml"]
    exported = _labelstudio_export(json.loads(files[0].read_text("utf-8")))
    (tmp_path / "export.json").write_text(json.dumps(exported), "utf-8")
    result = import_labels(tmp_path / "export.json", "labelstudio")
    assert result.labels == _edited(seed_labels)
    assert result.skipped == {"unlabeled": 1}
    assert validate_labels(result.labels, SEEDS) == []


def test_labelstudio_tasks_follow_the_labeling_config():
    """Every region of every annotation or prediction names a control tag of the config, of
    the right type, pointing at an object tag, with allowed values; `$vars` are task data."""
    task = AnnotationTask("x-001", "Lee urged the council to approve the plan.", "the plan",
                          speaker="Lee Min", suggestion=Prediction(
                              "favor", {"favor": 0.6, "against": 0.1, "none": 0.3}, "positive",
                              {"positive": 0.7, "negative": 0.1, "neutral": 0.2}))
    labeled = replace(task, id="x-002", stance="none", sentiment="neutral", note="hard")
    root = ET.fromstring(labelstudio_config())
    objects = {el.get("name") for el in root.iter() if el.tag == "Text"}
    controls = {el.get("name"): el for el in root.iter() if el.tag in ("Choices", "TextArea")}
    kinds = {"Choices": "choices", "TextArea": "textarea"}
    for item in to_labelstudio([task, labeled]):
        variables = {el.get("value")[1:] for el in root.iter() if el.tag == "Text"}
        assert variables <= set(item["data"])
        runs = item.get("annotations", []) + item.get("predictions", [])
        assert len(runs) == 1
        for region in runs[0]["result"]:
            control = controls[region["from_name"]]
            assert region["to_name"] == control.get("toName") and region["to_name"] in objects
            assert region["type"] == kinds[control.tag]
            if control.tag == "Choices":
                allowed = {c.get("value") for c in control.iter("Choice")}
                assert set(region["value"]["choices"]) <= allowed
    prediction = to_labelstudio([task])[0]["predictions"][0]
    assert prediction["score"] == 0.6
    assert {r["from_name"]: r["value"] for r in prediction["result"]} == {
        "speaker": {"text": ["Lee Min"]}, "stance": {"choices": ["favor"]},
        "sentiment": {"choices": ["positive"]}}


def test_label_studio_sdk_accepts_the_config_and_tasks(seed_tasks):
    """Checked with Label Studio's own SDK where it is installed. It is not a dependency
    (label-studio-sdk 2.1 pulls in about 70 packages, opencv and nltk among them)."""
    sdk = pytest.importorskip("label_studio_sdk.label_interface")
    interface = sdk.LabelInterface(labelstudio_config())
    suggestion = Prediction("none", {"favor": 0.2, "against": 0.1, "none": 0.7}, "neutral",
                            {"positive": 0.1, "negative": 0.1, "neutral": 0.8})
    tasks = to_labelstudio([*seed_tasks[:20], replace(seed_tasks[20], stance="",
                                                      suggestion=suggestion)])
    for task in tasks:
        assert all(task["data"].get(obj.value_name) is not None
                   for obj in interface.objects if obj.value_is_variable)
        for run in task.get("annotations", []):
            assert interface.validate_annotation(run)
        for run in task.get("predictions", []):
            assert interface.validate_prediction(run, return_errors=True) == []


def test_labelstudio_two_stances_is_an_error():
    exported = [{"id": 1, "data": {"claim_id": "a-1", "text": "It works.", "target": "t"},
                 "annotations": [{"result": [
                     {"from_name": "stance", "to_name": "text", "type": "choices",
                      "value": {"choices": ["favor", "none"]}}]}]}]
    with pytest.raises(LabelError, match="task 1: field 'stance'"):
        from_labelstudio(exported)


# --- doccano --------------------------------------------------------------------------------


def test_doccano_round_trip_loses_nothing(seed_labels, seed_tasks, tmp_path):
    path = export_tasks(seed_tasks, "doccano", tmp_path / "doccano.jsonl")[0]
    imported = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    exported = []
    for number, record in enumerate(imported, start=1):
        # doccano keeps `text`, stores `label` as categories and the other keys as metadata;
        # its JSONL export gives {"id", "text", **meta, "label": sorted, "Comments": [...]}.
        meta = {k: v for k, v in record.items() if k not in ("text", "label")}
        exported.append({"id": number, "text": record["text"], **meta,
                         "label": sorted(record["label"]), "Comments": []})
    stance = "against" if exported[0]["label"][0] != "against" else "favor"
    exported[0]["label"] = sorted([stance, "negative"])
    exported[1]["Comments"] = ["speaker: Somebody Else"]
    exported.append({"id": 999, "text": "Unlabeled.", "claim_id": "z-1", "target": "t",
                     "label": [], "Comments": []})
    (tmp_path / "export.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in exported), "utf-8")
    result = import_labels(tmp_path / "export.jsonl", "doccano")
    assert result.labels == _edited(seed_labels)
    assert result.skipped == {"unlabeled": 1}
    assert validate_labels(result.labels, SEEDS) == []


def test_doccano_labels_and_comments():
    record = to_doccano([AnnotationTask("d-1", "Fine.", "t", stance="none")])[0]
    assert record["label"] == ["none"] and record["claim_id"] == "d-1"
    record = dict(record, label=["favor", "positive"],
                  Comments=["speaker: Kim Lee", "sarcastic"])
    label = from_doccano([record]).labels[0]
    assert (label.stance, label.sentiment, label.speaker, label.note) == (
        "favor", "positive", "Kim Lee", "sarcastic")
    with pytest.raises(LabelError, match="unknown label"):
        from_doccano([dict(record, label=["favor", "maybe"])])


# --- Prodigy --------------------------------------------------------------------------------


def test_prodigy_round_trip_loses_nothing(seed_labels, seed_tasks, tmp_path):
    path = export_tasks(seed_tasks, "prodigy", tmp_path / "tasks.jsonl")[0]
    tasks = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert all({o["id"] for o in t["options"]} >= set(t["accept"]) for t in tasks)
    answers = []
    for number, task in enumerate(tasks):
        # Prodigy's db-out: the task as shown, with hashes, the view and the answer.
        answers.append({**task, "_input_hash": number, "_task_hash": -number,
                        "_view_id": "choice", "_session_id": "s-1", "_timestamp": 1700000000,
                        "answer": "accept"})
    stance = "against" if answers[0]["accept"][0] != "stance:against" else "favor"
    answers[0]["accept"] = [f"stance:{stance}", "sentiment:negative"]
    answers[1]["speaker"] = "Somebody Else"  # a text_input block with field_id "speaker"
    answers.append(dict(answers[2], answer="reject"))
    answers.append(dict(answers[3], answer="ignore"))
    (tmp_path / "db-out.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in answers), "utf-8")
    result = import_labels(tmp_path / "db-out.jsonl", "prodigy")
    assert result.labels == _edited(seed_labels)
    assert result.skipped == {"reject": 1, "ignore": 1}
    assert validate_labels(result.labels, SEEDS) == []


def test_prodigy_preselects_the_suggestion_and_rejects_bad_answers():
    task = AnnotationTask("p-1", "We will never accept it.", "t", speaker="Ann Ray",
                          suggestion=Prediction("against", {"favor": 0.1, "against": 0.8,
                                                            "none": 0.1}))
    out = to_prodigy([task])[0]
    assert out["accept"] == ["stance:against"] and out["meta"]["labeled"] is False
    assert "<mark>We will never accept it.</mark>" in out["html"]
    with pytest.raises(LabelError, match="'answer'"):
        from_prodigy([dict(out, answer="maybe")])
    assert from_prodigy([dict(out, answer="accept", accept=[])]).skipped == {
        "accepted without a stance": 1}


# --- merge, files, CLI ----------------------------------------------------------------------


def test_merge_updates_relabeled_claims_and_renames_taken_ids():
    old = [LabeledClaim("a-001", "One.", "t", "none", article="a", start=0, end=4),
           LabeledClaim("a-002", "Two.", "t", "none", article="a", start=5, end=9)]
    relabeled = LabeledClaim("tool-7", "Two.", "t", "favor", article="a", start=5, end=9)
    clash = LabeledClaim("a-001", "Three.", "t", "against", article="a", start=10, end=16)
    merged = merge_labels(old, [relabeled, clash])
    assert [(lab.id, lab.stance) for lab in merged.labels] == [
        ("a-001", "none"), ("a-002", "favor"), ("a-003", "against")]
    assert (merged.added, merged.updated, merged.renamed) == (1, 1, {"a-001": "a-003"})


def test_written_labels_load_back(seed_labels, tmp_path):
    path = write_labels(seed_labels, tmp_path / "labels.jsonl")
    assert load_labels(path) == seed_labels
    first = json.loads(path.read_text("utf-8").splitlines()[0])
    assert list(first)[:11] == ["id", "article", "start", "end", "text", "speaker", "via",
                                "target", "stance", "sentiment", "note"]


def test_tasks_round_trip_through_jsonl(tmp_path):
    task = AnnotationTask("t-1", "Yes.", "t", article="a", start=3, end=7, context="So. Yes.",
                          suggestion=Prediction("none", {"favor": 0.2, "against": 0.1,
                                                         "none": 0.7}),
                          priority=0.5, reason="why")
    path = write_tasks([task], tmp_path / "tasks.jsonl")
    assert read_tasks(path) == [replace(task, priority=None, reason="")]
    path.write_text('{"id": "t-2", "text": "Yes.", "target": "t", "stance": "maybe"}\n')
    with pytest.raises(LabelError, match=r"tasks.jsonl:1: record 't-2', field 'stance'"):
        read_tasks(path)


def test_cli_export_then_import_merges_into_a_label_file(seed_labels, tmp_path, capsys):
    assert main(["labels", "export", str(LABELS), "--to", "doccano", "--articles", str(SEEDS),
                 "--out", str(tmp_path / "out.jsonl")]) == 0
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert records[0]["context"]
    into = tmp_path / "mine.jsonl"
    write_labels(seed_labels[:10], into)
    assert main(["labels", "import", str(tmp_path / "out.jsonl"), "--from", "doccano",
                 "--into", str(into), "--articles", str(SEEDS)]) == 0
    assert "139 added, 10 updated" in capsys.readouterr().err
    assert load_labels(into) == seed_labels
    assert main(["labels", "check", str(into), "--articles", str(SEEDS)]) == 0


def test_every_tool_exports_suggestions(tmp_path):
    suggestion = Prediction("favor", {"favor": 0.5, "against": 0.2, "none": 0.3})
    task = AnnotationTask("s-1", "Do it now.", "t", speaker="Bo Han", suggestion=suggestion)
    for tool in TOOLS:
        path = export_tasks([task], tool, tmp_path / f"{tool}.out")[0]
        assert "Do it now." in path.read_text("utf-8")


# --- scores and suggest ---------------------------------------------------------------------


def test_uncertainty_runs_from_sure_to_unsure():
    assert uncertainty({"favor": 1.0, "against": 0.0, "none": 0.0}) == pytest.approx(0.0)
    assert uncertainty({"favor": 1 / 3, "against": 1 / 3, "none": 1 / 3}) == pytest.approx(1.0)
    assert (uncertainty({"favor": 0.5, "against": 0.4, "none": 0.1})
            > uncertainty({"favor": 0.8, "against": 0.1, "none": 0.1}))


def test_speaker_impact_favors_claims_that_move_undecided_speakers():
    def pred(favor: float, against: float) -> Prediction:
        return Prediction("none", {"favor": favor, "against": against,
                                   "none": 1 - favor - against})

    speakers = ["Ann Ray", "Ann Ray", "Bo Han", "Bo Han", "narrator"]
    predictions = [pred(0.4, 0.4), pred(0.3, 0.3), pred(0.9, 0.05), pred(0.9, 0.05),
                   pred(0.4, 0.4)]
    impact = speaker_impact(speakers, predictions)
    assert impact[4] == 0.0  # narrator has no position
    assert impact[0] > impact[2]  # undecided Ann Ray before decided Bo Han


def test_claim_context_cuts_at_words():
    text = "alpha beta gamma. The claim here. delta epsilon zeta"
    start = text.index("The claim")
    context = claim_context(text, start, start + len("The claim here."), chars=8)
    assert context == "…gamma. The claim here. delta…"


ARTICLE = """A council weighs the river plan

Mayor Lena Park said the river plan would bring clean water to every district.
Mayor Lena Park said the river plan would bring clean water to every district, again.
Council member Omar Diaz warned that the river plan would bankrupt the city.
The weather was mild on Tuesday and the market opened late.
Residents said they had not been asked about the river plan at all.
"""


@pytest.fixture(scope="module")
def encoder() -> ClaimEncoder:
    return ClaimEncoder()


def test_encoder_gives_unit_rows(encoder):
    rows = encoder.encode(["The river plan.", "A plan for the river.", "Mild weather."])
    assert rows.shape == (3, 384)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert rows[0] @ rows[1] > rows[0] @ rows[2]


def test_cold_start_suggests_diverse_relevant_claims(encoder):
    article = Article(id="river", text=ARTICLE, title="A council weighs the river plan")
    tasks = suggest([article], target="the river plan", n=3, encoder=encoder)
    assert len(tasks) == 3
    texts = [t.text for t in tasks]
    assert not all(t.startswith("Mayor Lena Park said") for t in texts[:2])  # no near-duplicates
    assert all(t.suggestion is None and t.stance == "" for t in tasks)
    assert all(t.context and t.article == "river" and ARTICLE[t.start:t.end] == t.text
               for t in tasks)
    assert "weather" not in " ".join(texts)  # the claim furthest from the target comes last


def test_suggest_with_a_model_and_labels_already_had(encoder, model_dir):
    model = stancekit.load(model_dir)
    article = Article(id="river", text=ARTICLE, title="A council weighs the river plan")
    first = ARTICLE.index("Council member")
    labeled = [LabeledClaim("river-1", ARTICLE[first:ARTICLE.index("\n", first)], "the river plan",
                            "against", article="river", start=first,
                            end=ARTICLE.index("\n", first))]
    for strategy in ("uncertainty", "diverse", "speakers"):
        tasks = suggest([article], model=model, target="the river plan", n=10,
                        strategy=strategy, labeled=labeled, encoder=encoder)
        assert 1 <= len(tasks) <= 4  # the labeled claim is not suggested again
        assert all("Omar Diaz warned" not in t.text for t in tasks)
        assert all(t.suggestion is not None and t.priority is not None for t in tasks)


def test_cli_suggest_on_the_seeds_with_and_without_a_model(tmp_path, capsys, model_dir):
    texts = {a.id: a.text for a in read_articles(SEEDS)}
    for extra, how in (([], "cold start"), (["--model", str(model_dir)],
                                            "uncertainty")):
        out = tmp_path / "round.jsonl"
        assert main(["suggest", str(SEEDS), "-n", "6", "--out", str(out), *extra]) == 0
        assert how in capsys.readouterr().err
        tasks = read_tasks(out)
        assert len(tasks) == 6 and len({t.id for t in tasks}) == 6
        assert all(texts[t.article][t.start:t.end] == t.text and t.stance == "" for t in tasks)
        assert all((t.suggestion is not None) == bool(extra) for t in tasks)
