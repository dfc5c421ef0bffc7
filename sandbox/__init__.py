"""Local stand-ins for AWS and Slack: never shipped to an Airflow deployment.

A moto server held to AWS's documented rules where moto is lenient (:mod:`sandbox.strict_moto`), which also
records every call and injects faults (:mod:`sandbox.moto_server`); a Slack webhook stand-in
(:mod:`sandbox.slack_stub`); a seeder of users holding every kind of thing (:mod:`sandbox.seed`). The tests, the
benchmarks, ``make demo``/``make airflow`` (:mod:`local`) and the compose file's ``sandbox`` profile use them.
Their own tests are in ``sandbox/tests/``.
"""
