"""The fast constructors of Items and Pieces make exactly what the dataclasses' own do."""
from __future__ import annotations

import dataclasses

import pytest

from edu_clf.records import Item, Piece, new_item, new_piece


def test_new_item_equals_the_constructor_field_for_field():
    made = new_item("d", 3, "标题", ("一、总结",), "正文", (4, 9))
    expected = Item("d", 3, "标题", ("一、总结",), "正文", (4, 9))
    assert made == expected and hash(made) == hash(expected)
    assert vars(made) == vars(expected)
    assert set(vars(made)) == {f.name for f in dataclasses.fields(Item)}   # a new field must be set here too


def test_new_piece_equals_the_constructor_field_for_field():
    made, expected = new_piece("item", 1, 5, "d"), Piece("item", 1, 5, "d")
    assert made == expected and vars(made) == vars(expected)
    assert set(vars(made)) == {f.name for f in dataclasses.fields(Piece)}


def test_made_items_stay_frozen():
    made = new_item("d", 0, "", (), "x", None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.text = "y"


def test_predictions_made_by_predict_items_equal_the_constructor(seed_model, gold_items):
    from edu_clf.pipeline import predict_items
    from edu_clf.records import Prediction
    made = predict_items(seed_model, gold_items[:3])[0]
    assert made == Prediction(**vars(made)) and set(vars(made)) == {f.name for f in dataclasses.fields(Prediction)}
