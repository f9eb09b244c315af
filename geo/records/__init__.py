"""Inspection records: the contract, the store, the indicators and their disclosure control.

Confidential by nature: what a role may see of them is decided by :mod:`geo.trust`; what a
protected role may receive of their counts by :mod:`.sdc`.
"""
