"""Analyses shared by chapters: fits, image comparisons, Jacobians and vector fields."""
