"""Config files → typed objects; --set overrides; unknown keys refused."""
from __future__ import annotations

import pytest

from edu_clf.config import load_cues, load_label_schema, load_train_config
from edu_clf.errors import ConfigError


def test_label_schema_has_the_guide_ids():
    schema = load_label_schema()
    assert schema.kind_ids == ("achievement", "problem", "plan")
    assert set(schema.topic_ids) == {"party_building", "moral_education", "teaching_quality", "teachers",
                                     "infrastructure", "equity_aid", "school_system", "sports_arts_health",
                                     "safety", "informatization", "governance", "general"}
    assert all(schema.name("topic", t) for t in schema.topic_ids)


def test_overrides_are_typed():
    config = load_train_config(overrides=["model.C=0.5", "features.text_chars=false", "seed=7",
                                          "features.topic_blocks=[\"words\"]"])
    assert config.model.C == 0.5 and config.features.text_chars is False and config.seed == 7


@pytest.mark.parametrize("override, message", [
    ("model.Cx=1", "unknown key"), ("model.classifier=tree", "classifier"), ("noequals", "key=value"),
    ("tokenizer.backend=pkuseg", "backend"), ('model.sequence=["kind","tone"]', "model.sequence"),
])
def test_bad_overrides_are_refused(override, message):
    with pytest.raises(ConfigError) as err:
        load_train_config(overrides=[override])
    assert message in str(err.value)


def test_config_file_errors_name_the_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("seed = [", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_train_config(path)
    assert "c.toml" in str(err.value)


def test_cue_lexicons_load():
    cues = load_cues()
    assert "problem" in cues.heading and "plan" in cues.title and cues.text["plan"]
