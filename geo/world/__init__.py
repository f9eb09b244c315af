"""The simulated world: demonstration records, truth and services on Peru's real districts.

Everything here is labelled SIMULADO. It never imports :mod:`geo.trust` (the simulator writes
files; it decides nothing about who may read them).
"""
