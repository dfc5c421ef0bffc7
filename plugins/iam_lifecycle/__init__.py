"""IAM user lifecycle for Apache Airflow: offboarding, reconciliation of stale users, provisioning."""
