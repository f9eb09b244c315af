"""The risk model: the interpretable scorer, risk that moves, scores as a product.

- :mod:`~models.risk.model`: :class:`~models.risk.model.RiskModel`, the whole fitting recipe
  as one estimator (what the scores and every backtest fold fit);
- :mod:`~models.risk.scorer`: :class:`~models.risk.scorer.RiskScorer`, its statistical core
  (expert prior, selection correction, district random effect), and its intervals;
- :mod:`~models.risk.likelihood`: the numerics they share (penalised fits, the quadrature of a
  district's effect, the complaints' term);
- :mod:`~models.risk.features`: what the model reads of a district table (features, dated
  layers, the learnt range, per-district counts);
- :mod:`~models.risk.complaints`: complaints as a factor or as evidence;
- :mod:`~models.risk.recency`: old findings weigh less (half-life), drift alerts;
- :mod:`~models.risk.score`: :func:`~models.risk.score.score_districts`, the score table;
  :mod:`~models.risk.metadata` its columns and metadata, :mod:`~models.risk.writing` its files.

Also explanations, hot spots and what a role without record access may receive of them.
"""
