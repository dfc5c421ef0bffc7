"""Offboarding one IAM user, and one person across an organization's accounts."""
