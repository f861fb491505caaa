"""The task-selection figure writes its data and picture; its numbers show the selection beating the baselines."""

import json

from icl_theory.figures import tasks as figure


def test_task_selection_figure(tmp_path, monkeypatch):
    monkeypatch.setattr(figure, "SELECTION_SETTINGS", (("m=50, k=1", 50, 1),))
    monkeypatch.setattr(figure, "SIM_M", 100)
    monkeypatch.setattr(figure, "SIM_PROMPTS", 400)
    monkeypatch.setattr(figure, "SIM_KS", range(1, 4))
    paths = figure.task_selection_figure(tmp_path)
    assert [p.name for p in paths] == ["task_selection.json", "task_selection.png"]
    assert paths[1].stat().st_size > 10_000
    data = json.loads(paths[0].read_text())
    weights = data["averaged_selection"]["m=50, k=1"]
    assert max(range(4), key=weights.__getitem__) == 3 and min(range(4), key=weights.__getitem__) == 0
    curves = data["curves"]
    for k in range(1, len(data["curve_ks"])):
        assert curves["selected"]["exact_limit"][k] < curves["uniform"]["exact_limit"][k] \
            < curves["easy-only"]["exact_limit"][k]
    for i in range(3):
        assert curves["selected"]["simulated_mean"][i] < curves["uniform"]["simulated_mean"][i]
    rows = data["qp_versus_true_k2"]
    assert [r["alpha_test"] for r in rows] == ["1/5", "2/5", "3/5", "4/5", "1"]
    assert all(r["true_hard_mass"] >= r["qp_hard_mass"] - 1e-9 for r in rows)


def test_multitask_training_figure(tmp_path, monkeypatch):
    monkeypatch.setattr(figure, "TRAINING_STEPS", 600)
    paths = figure.multitask_training_figure(tmp_path)
    assert [p.name for p in paths] == ["multitask_training.csv", "multitask_training.png"]
    rows = paths[0].read_text().splitlines()
    assert rows[0] == "step,distance_to_derived_optimum,distance_to_naive" and len(rows) == 602
    first, last = (list(map(float, rows[i].split(","))) for i in (1, -1))
    assert last[1] < first[1] / 3 and last[1] < last[2]
