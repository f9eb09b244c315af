"""One module per ``riskmap`` subcommand group.

Each module defines ``register(subparsers)``, which adds its subcommand(s) and sets
``func`` on the parser to a callable ``func(args) -> int``. The handlers call library
functions from ``geo``/``models`` and print; they hold no domain logic.
"""
