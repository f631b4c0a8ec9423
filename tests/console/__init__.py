"""Agent console and handoff tests."""
