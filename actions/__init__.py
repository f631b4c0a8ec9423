"""Rasa action server (rasa-sdk): FAQ answers, order lookup form, handoff signal."""
