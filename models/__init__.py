"""riskmap's models: the interpretable risk scorer, baselines, evaluation and planning.

Depends on ``geo`` only; never on ``dashboard``.
"""
