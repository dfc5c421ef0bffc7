"""The IAM lifecycle page in Airflow's UI: the history of offboardings, disables, revokes, restores and onboardings,
each snapshot readable with a Restore button, and the reconciliation's reports. See docs/ui.md.

Nothing here imports boto3; the plugin module imports only :mod:`iam_lifecycle.ui.asgi`, which loads the rest on the
page's first request.
"""
