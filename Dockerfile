# Images for docker-compose.yaml. The last stage (the default target) is the Airflow image.
#
#   docker compose build                 # both images, as docker-compose.yaml asks
#   docker build -t iam-lifecycle .      # the Airflow image alone

# The AWS and Slack stand-ins of the compose "sandbox" profile (moto server held to AWS's rules, Slack webhook).
FROM python:3.11-slim AS sandbox
RUN pip install --no-cache-dir "moto[server]>=5.2,<6"
WORKDIR /app
COPY sandbox/ sandbox/
EXPOSE 5000 8765

# Airflow with the project's pinned runtime: the providers and boto3 of requirements.txt.
FROM apache/airflow:3.3.2 AS airflow
COPY requirements.txt /requirements.txt
# Pinning apache-airflow to the base image's version keeps pip from up- or downgrading Airflow itself.
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /requirements.txt
