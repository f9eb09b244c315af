"""Browser tests: the real dashboard served by Streamlit, driven by Debian's chromium."""
