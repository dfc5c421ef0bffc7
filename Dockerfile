# Images for docker-compose.yaml. The last stage (the default target) is the Airflow image.
#
#   docker compose build                 # both images, as docker-compose.yaml asks
#   docker build -t iam-lifecycle .      # the Airflow image alone

# The AWS and Slack stand-ins of the compose "sandbox" profile (moto server held to AWS's rules, Slack webhook).
FROM python:3.11-slim AS sandbox
RUN pip install --no-cache-dir "moto[server]>=5.2,<6"
WORKDIR /app
COPY sandbox/ sandbox/
# The seeder (sandbox-seed) gives a user each kind of holding the package's registry declares.
COPY plugins/iam_lifecycle/__init__.py plugins/iam_lifecycle/holdings.py plugins/iam_lifecycle/
EXPOSE 5000 8765

# The iam-lifecycle wheel (pyproject.toml), built from the source tree.
FROM python:3.12-slim AS wheel
RUN pip install --no-cache-dir "uv>=0.13"
WORKDIR /src
COPY pyproject.toml ./
COPY docs/installing.md docs/installing.md
COPY plugins/iam_lifecycle plugins/iam_lifecycle
RUN uv build --wheel -o /dist .

# The official Airflow image plus the wheel. Its dependencies (requirements.txt's ranges: the providers, no boto3 of
# ours) are installed only where the image lacks them: pinning apache-airflow to the image's version keeps pip from
# up- or downgrading Airflow itself, and the image's own constraints keep every other version it ships.
FROM apache/airflow:3.3.2 AS airflow
COPY --from=wheel /dist/ /tmp/dist/
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" /tmp/dist/iam_lifecycle-*.whl
