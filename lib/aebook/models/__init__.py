"""Autoencoder architectures used by the chapters."""
