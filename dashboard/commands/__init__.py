"""What each ``riskmap`` subcommand does: one module per subcommand group.

The arguments and help of a command are in :mod:`dashboard.arguments` (same module name),
which names the function here that runs it: ``func(args) -> int``. A command module is
imported only when its command runs. The handlers call library functions from
``geo``/``models`` and print; they hold no domain logic. Each module re-exports its
``register`` from :mod:`dashboard.arguments` for importers that look for it here.
"""
