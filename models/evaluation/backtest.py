"""Honest evaluation of the risk model: temporal backtest, spatial blocks, model card.

The public API of the evaluation, gathered from the modules that do each part:

- :mod:`models.evaluation.folds`: the temporal backtest (train on years ``<= t``, test on
  ``t + 1``) and the spatial blocks (leave one province out), every model fitted on the same
  folds — the risk model as deployed (``clone`` of :class:`models.risk.model.RiskModel`) and
  each baseline;
- :mod:`models.evaluation.pooled`: metrics pooled over folds with paired bootstrap intervals;
- :mod:`models.evaluation.card`: :func:`evaluate` runs both on a deployment and returns the
  model card, :func:`write_card` writes it and :func:`card_to_markdown` renders it for people.
"""

from models.evaluation.card import (
    EVALUATION_FILE,
    TARGETS,
    card_to_markdown,
    evaluate,
    write_card,
)
from models.evaluation.folds import (
    MODEL,
    ORACLE,
    Fold,
    backtest_folds,
    bayes_ceiling,
    spatial_folds,
    truth_in,
)
from models.evaluation.pooled import evaluate_folds, per_fold_metrics

__all__ = [
    "EVALUATION_FILE",
    "MODEL",
    "ORACLE",
    "TARGETS",
    "Fold",
    "backtest_folds",
    "bayes_ceiling",
    "card_to_markdown",
    "evaluate",
    "evaluate_folds",
    "per_fold_metrics",
    "spatial_folds",
    "truth_in",
    "write_card",
]
