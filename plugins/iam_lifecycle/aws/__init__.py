"""AWS access: the IAM hook, the other services' hooks, sessions in member accounts, retries, connections."""
