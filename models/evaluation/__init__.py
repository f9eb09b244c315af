"""Honest evaluation: backtests and model card, metrics, baselines and synthetic worlds.

:mod:`~models.evaluation.folds` (temporal and spatial folds), :mod:`~models.evaluation.pooled`
(metrics pooled over folds), :mod:`~models.evaluation.card` (the model card);
:mod:`~models.evaluation.backtest` gathers their public API.
"""
