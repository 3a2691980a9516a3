"""The English head's selection grid in the evaluation report (bot/sentiment/evaluate.py):
the choice is made on cross-validation only, and the report says whether the code agrees."""

from __future__ import annotations

import numpy as np

from bot.sentiment import evaluate
from bot.sentiment.embedding import DIM
from bot.sentiment.evaluate import HeadCell, best_cell, columns
from bot.sentiment.model import HEAD_L2, HEAD_LAYERS


def test_columns_pick_the_named_layers_blocks() -> None:
    vectors = np.concatenate([np.full((2, DIM), layer, np.float32) for layer in range(1, 7)], 1)
    picked = columns(vectors, (4, 6))
    assert picked.shape == (2, 2 * DIM)
    assert set(picked[:, :DIM].ravel()) == {4.0}
    assert set(picked[:, DIM:].ravel()) == {6.0}


def test_the_best_cell_is_chosen_by_cv_never_by_the_other_domain() -> None:
    cells = [
        HeadCell((6,), 3e-4, cv_accuracy=0.92, other_domain_accuracy=0.95),
        HeadCell((4, 6), 3e-4, cv_accuracy=0.93, other_domain_accuracy=0.80),
        HeadCell((4, 6), 1e-4, cv_accuracy=0.93, other_domain_accuracy=0.81),
        HeadCell((4, 5, 6), 3e-4, cv_accuracy=0.93, other_domain_accuracy=0.99),
    ]
    best = best_cell(cells)
    # ties on CV: the stronger penalty, then the fewer layers; the Yelp column plays no part
    assert (best.layers, best.l2) == ((4, 6), 3e-4)


def _cell(layers: tuple[int, ...], l2: float, cv: float) -> HeadCell:
    return HeadCell(layers, l2, cv, None)


def test_the_report_says_when_the_code_is_not_the_grids_choice() -> None:
    agrees = [_cell(HEAD_LAYERS, HEAD_L2, 0.93), _cell((6,), 3e-4, 0.92)]
    lines = "\n".join(evaluate._render_grid(agrees))
    assert "best cell by CV: yes" in lines
    assert evaluate._head_summary(agrees)["best_by_cv"] is True
    disagrees = [_cell(HEAD_LAYERS, HEAD_L2, 0.90), _cell((6,), 3e-4, 0.92)]
    lines = "\n".join(evaluate._render_grid(disagrees))
    assert "best cell by CV: **no**" in lines
    assert evaluate._head_summary(disagrees)["best_by_cv"] is False
    assert "| - |" in lines  # no other-domain set: its column is empty, not made up


def test_the_codes_choice_is_on_the_grid_and_its_l2_inside_it() -> None:
    assert HEAD_LAYERS in evaluate.HEAD_GRID_LAYERS
    assert min(evaluate.HEAD_GRID_L2) < HEAD_L2 < max(evaluate.HEAD_GRID_L2)
    assert evaluate.BEFORE[0] in evaluate.HEAD_GRID_LAYERS
