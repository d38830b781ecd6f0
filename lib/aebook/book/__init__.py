"""The machinery that runs and publishes the book: papermill runs and sweeps, where they execute, the notebook
check, the gathered pages (scoreboard, run report), the offline web assets and the browser check.

The science (models, data, training, analyses, claims) lives in the rest of ``aebook`` and imports nothing from
here (``tests/test_rooms.py`` keeps it so); the arrows go the other way.
"""
