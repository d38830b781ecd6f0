"""The machinery of a training run, shared by :func:`aebook.train.train` (one model) and
:func:`aebook.stacked.train_stacked` (many models in one vectorised step):

- :mod:`~aebook.training.lifecycle`: the one life of a run (optimiser, resume, threads, budget, the step loop,
  history, snapshots, checkpoints, finish) and the :class:`~aebook.training.lifecycle.Strategy` a trainer plugs in;
- :mod:`~aebook.training.graph`: a step on static buffers, eager or replayed as a CUDA graph;
- :mod:`~aebook.training.optim`: the optimisers and each step's batch rows;
- :mod:`~aebook.training.keys`: cache keys; :mod:`~aebook.training.store`: a run's files.
"""
