"""The simulated world: demonstration records, truth and services on Peru's real districts.

:func:`geo.world.demo.make_demo` is the recipe; each step has its module (:mod:`.districts`,
:mod:`.features`, :mod:`.sector_layers`, :mod:`.public_layers`, :mod:`.truth`, :mod:`.scenarios`,
:mod:`.inspections`, :mod:`.services`) and the folder is written by :mod:`.folder`,
:mod:`.settings_file` and :mod:`.readme` from the texts in :mod:`.templates`.

Everything here is labelled SIMULADO. It never imports :mod:`geo.trust` (the simulator writes
files; it decides nothing about who may read them).
"""
