"""
Celery settings for the Airflow workers that run these DAGs: Airflow's own, plus what each worker imports once.

Every task runs in a process forked from the worker; what the worker has imported, the task does not import
again. Without this, each task imports boto3, the Amazon and Slack providers and this package anew (about a
second of CPU per task). Set ``[celery] celery_config_options`` to ``iam_lifecycle.celery_config.CELERY_CONFIG``
(docker-compose.yaml does).
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

#: Imported by each worker at start, before it forks its pool (Celery's ``imports`` setting).
PRELOADED = (
    "airflow.sdk.execution_time.task_runner",
    "airflow.providers.amazon.aws.hooks.base_aws",
    "airflow.providers.slack.operators.slack_webhook",
    "airflow.providers.standard.operators.trigger_dagrun",
    "iam_lifecycle.operators.offboarding",
    "iam_lifecycle.operators.provisioning",
    "iam_lifecycle.operators.approval",
    "iam_lifecycle.offboarding.dag_tasks",
)

CELERY_CONFIG = {**DEFAULT_CELERY_CONFIG, "imports": PRELOADED}
