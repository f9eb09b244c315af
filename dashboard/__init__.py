"""riskmap's user interfaces: the ``riskmap`` command line and the Streamlit dashboard."""
