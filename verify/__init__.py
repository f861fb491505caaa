"""Simulate the one-layer LSA model independently of derivations/: sampling, forward pass, CoT rollout, training."""
