"""Shared library of the *Inside Autoencoders* book: data, models, training, analyses, claims."""

__version__ = "0.1.0"
