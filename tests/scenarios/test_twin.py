"""The twin experiment's quick mode: the emulator recovers known parameters of the real model."""

from __future__ import annotations

import pandas as pd

from scenarios.twin import QUICK_FREE, main

HTE, SME, LISTING = QUICK_FREE


def test_quick_twin_recovers_the_identified_parameters(tmp_path, capsys):
    main(["--quick", "--out", str(tmp_path)])
    params = pd.read_csv(tmp_path / "twin_parameters.csv").set_index("parameter")
    methods = pd.read_csv(tmp_path / "twin_methods.csv")
    assert methods.simulations.tolist() == [40]  # 24 + 16 runs, one seed each
    # The tech-SME stock pins its registration rate down: truth inside a narrow posterior.
    assert params.at[SME, "in_90"]
    assert params.at[SME, "sd_ratio"] < 0.3
    assert params.at[SME, "median_error"] < 0.05
    # The high-tech stock identifies its application rate less sharply, but still narrows it.
    assert params.at[HTE, "in_90"]
    assert params.at[HTE, "sd_ratio"] < 0.7
    posterior = pd.read_csv(tmp_path / "posterior_truth1_emulator.csv")
    assert len(posterior) == 500 and list(posterior.columns) == QUICK_FREE
    assert "coverage_90" in capsys.readouterr().out
