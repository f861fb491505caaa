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
