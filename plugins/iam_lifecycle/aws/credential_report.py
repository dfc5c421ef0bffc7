"""Fetching the account's IAM credential report: generate until complete, then get.

IAM hands back the existing report when it is under 4 hours old, so the data can be that old. Parsing it and
deciding who is stale is :mod:`iam_lifecycle.reconciliation.staleness`.
"""

from __future__ import annotations

import logging
import time

from iam_lifecycle.aws.iam_hook import IamHook

log = logging.getLogger(__name__)


def fetch_credential_report(hook: IamHook, poll_seconds: float = 2.0, timeout_seconds: float = 300) -> str:
    """
    The account's credential report, as CSV text (one row per user plus ``<root_account>``).

    Calls GenerateCredentialReport until its State is COMPLETE, sleeping ``poll_seconds`` between calls, then
    GetCredentialReport. A report that is being generated (``ReportInProgress``), missing (``ReportNotPresent``)
    or expired (``ReportExpired``) when fetched means generate and poll again. Throttling is retried by the
    client's botocore retries.

    :raises TimeoutError: no complete report within ``timeout_seconds``.
    """
    errors = hook.conn.exceptions
    not_ready = (
        errors.CredentialReportNotReadyException,
        errors.CredentialReportNotPresentException,
        errors.CredentialReportExpiredException,
    )
    deadline = time.monotonic() + timeout_seconds
    while True:
        state = hook.generate_credential_report()
        if state == "COMPLETE":
            try:
                report = hook.get_credential_report()
            except not_ready as error:
                # E.g. the report expired, or someone started a new one, between the two calls.
                state = error.response["Error"]["Code"]
            else:
                log.info("Got the credential report generated at %s", report.get("GeneratedTime"))
                return report["Content"].decode("utf-8")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(
                f"The IAM credential report was not complete after {timeout_seconds} s (last state: {state})"
            )
        log.info("Credential report not ready (%s); generating again in %s s", state, poll_seconds)
        time.sleep(min(poll_seconds, remaining))
