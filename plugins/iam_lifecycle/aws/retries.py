"""What is retried, and what fails at once.

* In the boto3 client: botocore's adaptive mode retries throttling, 5xx (``ServiceFailure``) and network
  errors (see ``aws.base.DEFAULT_RETRIES``). IAM's own transient conflicts, ``EntityTemporarilyUnmodifiable`` and
  ``ConcurrentModification``, are not in botocore's list; :func:`retry_transient_iam_errors` adds them.
  :func:`note_attempts_that_may_have_applied` tells a retried call's final answer whether an earlier attempt may
  have been applied (its answer lost, or a 5xx), as opposed to refused (throttled: AWS did nothing).
* In Airflow: :class:`IamRetryPolicy` fails a task at once on errors that no retry can fix (permissions,
  invalid input, a missing entity where one was required), and leaves the task's retries to everything else.
"""

from __future__ import annotations

import random
from typing import Any

from botocore.exceptions import ClientError, NoCredentialsError, ParamValidationError

from iam_lifecycle.compat import RetryDecision, RetryPolicy

#: IAM errors that mean "try again shortly".
TRANSIENT_IAM_ERRORS = frozenset({"EntityTemporarilyUnmodifiable", "ConcurrentModification"})
#: How many times a call is retried for one of them, and the cap of the backoff between tries.
TRANSIENT_ATTEMPTS = 6
TRANSIENT_MAX_DELAY_SECONDS = 8.0

#: Errors a retry cannot fix: fail the task at once with the reason.
PERMANENT_ERRORS = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "ExpiredToken",
        "InvalidInput",
        "ValidationError",
        "MalformedPolicyDocument",
        "NoSuchEntity",
        "EntityAlreadyExists",
        "LimitExceeded",
        "PasswordPolicyViolation",
    }
)


def retry_transient_iam_errors(response: Any = None, attempts: int = 1, **kwargs: Any) -> float | None:
    """
    A botocore ``needs-retry`` handler: the delay before retrying an IAM transient conflict, else None.

    None lets botocore's own retry handler (throttling, 5xx, network) decide.
    """
    if response is None or attempts >= TRANSIENT_ATTEMPTS:
        return None
    code = response[1].get("Error", {}).get("Code")
    if code not in TRANSIENT_IAM_ERRORS:
        return None
    return min(TRANSIENT_MAX_DELAY_SECONDS, 0.5 * 2 ** (attempts - 1)) * random.uniform(0.5, 1.0)


#: Set in a call's ``ResponseMetadata`` when an earlier attempt of it got no answer or a 5xx: it may have been applied.
EARLIER_ATTEMPT_MAY_HAVE_APPLIED = "EarlierAttemptMayHaveApplied"


def note_attempts_that_may_have_applied(response: Any = None, request_dict: dict | None = None, **kwargs: Any) -> None:
    """
    A botocore ``needs-retry`` handler that decides nothing: it remembers, across the attempts of one call, whether
    one of them may have been applied, and marks the later answers' ``ResponseMetadata`` with
    :data:`EARLIER_ATTEMPT_MAY_HAVE_APPLIED`.

    An attempt answered with a 4xx (``Throttling`` included) was refused and changed nothing; one that got no
    answer (connection dropped, read timeout) or a 5xx may have been applied before its answer was lost. So a
    retry's ``NoSuchEntity`` proves the call's own earlier attempt deleted the user only in the second case.
    """
    context = request_dict["context"] if request_dict is not None else {}
    if context.get(EARLIER_ATTEMPT_MAY_HAVE_APPLIED) and response is not None:
        response[1].setdefault("ResponseMetadata", {})[EARLIER_ATTEMPT_MAY_HAVE_APPLIED] = True
    if response is None or response[0].status_code >= 500:
        context[EARLIER_ATTEMPT_MAY_HAVE_APPLIED] = True


def error_code(exception: BaseException) -> str | None:
    if isinstance(exception, ClientError):
        return exception.response.get("Error", {}).get("Code")
    return None


class IamRetryPolicy(RetryPolicy):
    """Fail at once on permanent AWS errors; any other failure follows the task's ``retries``."""

    def evaluate(self, exception: BaseException, try_number: int, max_tries: int, context=None) -> RetryDecision:
        code = error_code(exception)
        if code in PERMANENT_ERRORS:
            return RetryDecision.fail(reason=f"{code} from AWS: retrying cannot fix it")
        if isinstance(exception, (ParamValidationError, NoCredentialsError)):
            return RetryDecision.fail(reason=f"{type(exception).__name__}: retrying cannot fix it")
        return RetryDecision.default()

    def serialize(self) -> dict[str, Any]:
        return {"__type": type(self).__name__}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> IamRetryPolicy:
        return cls()
