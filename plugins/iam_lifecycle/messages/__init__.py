"""What people read: Slack texts, summaries, failure alerts, and how they count things."""
