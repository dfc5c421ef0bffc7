"""Running the project on this machine, for a person: ``make demo`` (:mod:`local.demo`), ``make airflow``
(:mod:`local.standalone`) and ``make screenshots`` (:mod:`local.screenshots`). They use the stand-ins of
:mod:`sandbox` for AWS and Slack; nothing here is shipped to an Airflow deployment."""
