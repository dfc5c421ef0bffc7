"""IAM user lifecycle for Apache Airflow: offboarding, reconciliation of stale users, provisioning."""

__version__ = "0.2.0"
