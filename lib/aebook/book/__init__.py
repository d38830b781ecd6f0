"""The machinery that runs and publishes the book: papermill runs and sweeps, where they execute, the notebook
check, the gathered pages (scoreboard, run report), the offline web assets and the browser check.

The science (models, data, training, analyses, claims) lives in the rest of ``aebook``; nothing there imports from
here except the MNIST fetcher, which downloads through :mod:`aebook.book.npm`.
"""
