"""Honest evaluation: backtests and model card, metrics, baselines and synthetic worlds."""
