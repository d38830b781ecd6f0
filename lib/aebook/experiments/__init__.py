"""Experiment recipes shared by a chapter's notebooks: build the data, train, sweep, in one call each."""
