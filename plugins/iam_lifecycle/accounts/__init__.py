"""Which AWS accounts a run acts in."""
