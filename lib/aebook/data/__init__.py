"""Datasets of the book: synthetic shapes made on the fly and MNIST from its raw IDX files."""
