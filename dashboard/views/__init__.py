"""The dashboard's pages: one Streamlit script per page, registered by ``dashboard/app.py``.

Page scripts only lay out; what they compute lives in importable, tested modules
(:mod:`dashboard.state`, :mod:`dashboard.model_view`, :mod:`dashboard.district_view`,
:mod:`dashboard.records_view`). They never import the store (import contract).
"""
