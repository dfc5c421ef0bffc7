"""Stale users and unused credentials: finding them, revoking, disabling, reporting."""
