"""riskmap's data floor: district boundaries, UBIGEO keys, sector layers, inspections.

A plain library (no streamlit, no folium): a researcher can import it in a notebook.
"""
