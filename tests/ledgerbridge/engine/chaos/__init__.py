"""Chaos: workers killed, answers lost, faults scripted; the company still syncs once."""
