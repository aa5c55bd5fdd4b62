"""Area files (utterances.d/*.yaml) are training data: merged into the model and part of its cache key."""

from __future__ import annotations

from pathlib import Path

from agent.nlu.classifier import IntentModel
from agent.nlu.data import TRAINING_FILE, load_dataset
from tests.agent.test_nlu import TINY_DATA

AREA = """intents:
  list_scores: |
    what scores do I have
    show my scoring rules
    list my lead scores
    which scores are active
    scores overview
    how are points given
    what scoring rules exist
    my scores please
"""


def test_an_area_file_retrains_a_cached_model(tmp_path: Path) -> None:
    data = tmp_path / "utterances.yaml"
    data.write_text(TINY_DATA)
    cache = tmp_path / "cache"
    before = IntentModel.train(data, cache_dir=cache)
    assert "list_scores" not in before.classes
    (tmp_path / "utterances.d").mkdir()
    (tmp_path / "utterances.d" / "scores.yaml").write_text(AREA)
    after = IntentModel.train(data, cache_dir=cache)
    assert "list_scores" in after.classes and len(list(cache.iterdir())) == 2
    assert after.predict("which scoring rules do I have").intent == "list_scores"


def test_the_scores_area_is_in_the_packaged_training_data() -> None:
    intents = {e.intent for e in load_dataset(TRAINING_FILE).examples if e.group.startswith("scores:")}
    assert intents == {"list_scores", "get_contact_score", "top_scored_contacts", "create_custom_field"}
