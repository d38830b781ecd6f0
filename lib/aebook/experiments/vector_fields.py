"""conservative/01's figures: how the vector field r(x) − x of a planar autoencoder changes during training
(supplement, 'Further experiments on symmetry' and 'Decomposing the vector field'). Each label is named here once;
the notebook's rules, the prose roles and the calibration records read the figures by these names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from aebook.experiments.conservative import at_snapshot, mean_antisymmetric_share
from aebook.train import TrainResult

CURL_RATIO = "largest final/initial mean |curl|"
ANTISYMMETRIC_RATIO = "largest final/initial antisymmetric share"
RELU_CLOSER = "share of data sets where ReLU is closer to its final field"
SHARE_FELL = "share of runs whose non-conservative share fell"


def vector_field_figures(runs: Mapping[tuple[str, str], TrainResult], curls: Mapping[tuple[str, str], Sequence[float]],
                         change: Mapping[tuple[str, str], Sequence[float]],
                         share: Mapping[tuple[str, str], tuple[float, float]], data: Mapping[str, np.ndarray],
                         snaps: Sequence[int], shapes: Sequence[str], first: int) -> dict[str, dict[str, float]]:
    """Every figure conservative/01's claims read, per claim id. Each is already a comparison with its control (a
    network against itself at its initialisation, or ReLU against sigmoid), so there is no control's figure.

    ``runs``, ``curls`` (mean |curl| on the data at each snapshot), ``change`` (relative distance to the final field
    at each snapshot) and ``share`` (non-conservative share before and after training) are keyed (shape, activation);
    ``first`` is the snapshot at which ReLU and sigmoid are compared."""
    curl_ratio = max(c[-1] / c[0] for c in curls.values())
    share_ratio = max(mean_antisymmetric_share(at_snapshot(run, snaps[-1]), data[key[0]])
                      / mean_antisymmetric_share(at_snapshot(run, snaps[0]), data[key[0]]) for key, run in runs.items())
    relu_faster = float(np.mean([change[s, "relu"][first] < change[s, "sigmoid"][first] for s in shapes]))
    fell = float(np.mean([after < before for before, after in share.values()]))
    return {
        "curl-falls": {CURL_RATIO: curl_ratio, ANTISYMMETRIC_RATIO: share_ratio},
        "relu-faster": {RELU_CLOSER: relu_faster},
        "closer-to-conservative": {SHARE_FELL: fell},
    }
