"""Putting a user back from a snapshot, or onboarding a new one."""
