"""The risk model: the interpretable scorer, risk that moves, scores as a product.

Also explanations, hot spots and what a role without record access may receive of them.
"""
