"""The classifier tier: trained at first use from a training file, cached by its hash, in milliseconds after."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from agent.replies import classifier
from agent.replies.classifier import load_classifier, training_file, training_rows
from agent.replies.model import Intent


@pytest.fixture
def small_training(tmp_path: Path) -> Path:
    """Six replies per intent from the real training set (the whole set trains in the workspace, not here)."""
    per_intent: dict[str, list[dict]] = defaultdict(list)
    for row in training_rows():
        if len(per_intent[row["expected"]["intent"]]) < 6:
            per_intent[row["expected"]["intent"]].append(row)
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for rows in per_intent.values() for r in rows))
    return path


def test_trains_once_then_loads_from_the_cache(tmp_path, small_training, monkeypatch):
    first = load_classifier(tmp_path / "models", small_training)
    assert len(list((tmp_path / "models").glob("reply-intent-*.pickle"))) == 1
    monkeypatch.setattr(classifier, "train", lambda *a, **k: pytest.fail("retrained despite the cache"))
    second = load_classifier(tmp_path / "models", small_training)
    text = "Please send me the deck and a case study, this looks useful."
    assert first.classify_one(text).ranked == second.classify_one(text).ranked


def test_the_weights_give_the_regressions_own_probabilities(tmp_path, small_training):
    # One reply is scored from plain arrays, not through scikit-learn's sparse matrices: the same numbers.
    model = load_classifier(tmp_path / "models", small_training)
    texts = [r["text"] for r in training_rows(small_training)]
    texts += ["Bitte rufen Sie mich nächste Woche an.", "", "zzzz qqqq", "Take me off your list!!!"]
    expected = model.model.regression.predict_proba(model.model.features(texts, model.embeddings))
    vectors = model.embeddings.embed(texts)
    got = [model.weights.probabilities(text, vector) for text, vector in zip(texts, vectors, strict=True)]
    assert np.abs(np.array(got) - expected).max() < 1e-9


def test_a_changed_training_file_is_a_new_model(tmp_path, small_training):
    load_classifier(tmp_path / "models", small_training)
    small_training.write_text(
        small_training.read_text()
        + json.dumps({"id": "x", "text": "Can we do Thursday at 3?", "expected": {"intent": "meeting_request"}})
        + "\n"
    )
    load_classifier(tmp_path / "models", small_training)
    assert len(list((tmp_path / "models").glob("reply-intent-*.pickle"))) == 2


def test_it_says_how_sure_it_is(tmp_path, small_training):
    model = load_classifier(tmp_path / "models", small_training)
    guess = model.classify_one("I'm out of the office until Monday with no access to email.")
    assert guess.intent is Intent.out_of_office
    assert abs(sum(p for _, p in guess.ranked) - 1) < 0.01 and len(guess.ranked) == len(Intent)
    assert guess.sure == (guess.probability >= classifier.ABSTAIN_BELOW)


def test_the_training_set_is_kept_apart_from_the_eval_set():
    eval_texts = {
        json.loads(line).get("text")
        for line in (Path(__file__).parents[2] / "evals/replies/cases.jsonl").read_text().splitlines()
    }
    assert not eval_texts & {r["text"] for r in training_rows(training_file())}


@pytest.mark.parametrize(
    ("text", "sender", "words"),
    [
        (
            "Combien ça coûte ?\n\nThomas Petit\nResponsable d'entrepôt | Logipetit\n+33 4 19 78 07 20",
            "Thomas Petit",
            "Combien ça coûte ?",
        ),
        ("Tuesday at 2 works.\n\nBest,\nJo\nOps lead, Acme", "Joanne Smith", "Tuesday at 2 works."),
        ("Ja, gerne.\n\nMit freundlichen Grüßen\nAnna Becker", "", "Ja, gerne."),
        ("Thanks", "Thanks Bot", "Thanks"),
        # A name that is not the sender's is the reply's content: a referral keeps its contact.
        ("Not me. Please write to\nAna Ruiz\nana.ruiz@ridge.example", "Tom Hall", None),
    ],
)
def test_the_classifier_reads_the_reply_without_its_sign_off(text, sender, words):
    assert classifier.words_to_classify(text, sender) == (words if words is not None else text)
