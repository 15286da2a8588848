"""The per-scenario studies (analyze, ratify, replay, improve, sensitivity, simulate, GE opinion): each
orchestrates the model and the array maths of ``bargain``/``econ``, and keeps its result types beside it."""
