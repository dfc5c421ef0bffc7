"""What differs between the Airflow versions the package supports (3.1, 3.2, 3.3), chosen once, at import.

* **Exceptions** (``AirflowFailException``, ``AirflowSkipException``, ``AirflowNotFoundException``):
  ``airflow.sdk.exceptions`` from 3.2, ``airflow.exceptions`` on 3.1. Import them from here.
* **Task retry policies** (``retry_policy=``, ``RetryPolicy``, ``RetryDecision``, ``ExceptionRetryPolicy``,
  ``RetryRule``, ``RetryAction``): Airflow 3.3. Before it, this module defines the same classes and evaluates
  the task's policy (or its DAG's ``default_args["retry_policy"]``) when the task raises: a decision to fail
  re-raises the error as ``AirflowFailException`` (failed at once, no retries, as 3.3 does); any other leaves the
  task's ``retries`` to it. ``TriggerDagRunOperator`` from here accepts ``retry_policy=`` on every version.
* **``retry_exponential_backoff``** is a multiplier from 3.2, a bool on 3.1: a number becomes the bool there
  (2.0 → True, the same doubling waits).
* **TaskFlow context-key parameters** before parameters without defaults: refused by 3.1 at parse time; there,
  the signature the decorator inspects makes them keyword-only (the function itself is unchanged).

The HITL operators' ``assigned_users`` and ``responded_by_user`` and ``dag_run.triggering_user_name`` are the same
on 3.1.8 (standard provider 1.12.3). :data:`NATIVE_RETRY_POLICY` tells which retry policies are in use.
"""

from __future__ import annotations

import abc
import functools
import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from importlib import import_module
from typing import Any

import airflow.sdk as _sdk
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator as _TriggerDagRunOperator

try:  # Airflow >= 3.2 (task SDK 1.2)
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSkipException,
    )
except ImportError:  # Airflow 3.1: the classes its task runner catches
    from airflow.exceptions import (  # noqa: AIR3 (no airflow.sdk equivalent on 3.1)
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSkipException,
    )

log = logging.getLogger(__name__)

__all__ = [
    "NATIVE_RETRY_POLICY",
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowSkipException",
    "ExceptionRetryPolicy",
    "RetryAction",
    "RetryDecision",
    "RetryPolicy",
    "RetryRule",
    "TriggerDagRunOperator",
    "retry_policy_of",
]

_RETRY_NAMES = ("RetryPolicy", "RetryDecision", "ExceptionRetryPolicy", "RetryRule", "RetryAction")
#: True on Airflow >= 3.3: tasks take ``retry_policy`` and Airflow evaluates it.
NATIVE_RETRY_POLICY = all(hasattr(_sdk, name) for name in _RETRY_NAMES)

if NATIVE_RETRY_POLICY:
    from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryDecision, RetryPolicy, RetryRule

    TriggerDagRunOperator = _TriggerDagRunOperator

else:

    class RetryAction(Enum):  # type: ignore[no-redef]
        """What a retry policy decides (as ``airflow.sdk.RetryAction``)."""

        RETRY = "retry"
        FAIL = "fail"
        DEFAULT = "default"

    @dataclass(frozen=True)
    class RetryDecision:  # type: ignore[no-redef]
        """A retry policy's answer (as ``airflow.sdk.RetryDecision``)."""

        action: RetryAction = RetryAction.DEFAULT
        retry_delay: timedelta | None = None
        reason: str | None = None

        @classmethod
        def fail(cls, reason: str | None = None) -> RetryDecision:
            return cls(action=RetryAction.FAIL, reason=reason)

        @classmethod
        def retry(cls, delay: timedelta | None = None, reason: str | None = None) -> RetryDecision:
            return cls(action=RetryAction.RETRY, retry_delay=delay, reason=reason)

        @classmethod
        def default(cls) -> RetryDecision:
            return cls(action=RetryAction.DEFAULT)

    class RetryPolicy(abc.ABC):  # type: ignore[no-redef]
        """Base class of retry policies (as ``airflow.sdk.RetryPolicy``)."""

        @abc.abstractmethod
        def evaluate(
            self, exception: BaseException, try_number: int, max_tries: int, context: Any = None
        ) -> RetryDecision: ...

        def serialize(self) -> dict[str, Any]:
            return {"__type": type(self).__name__}

        @classmethod
        def deserialize(cls, data: dict[str, Any]) -> RetryPolicy:
            return cls()

    @dataclass
    class RetryRule:  # type: ignore[no-redef]
        """One exception-to-action rule of an :class:`ExceptionRetryPolicy` (as ``airflow.sdk.RetryRule``)."""

        exception: Any
        action: RetryAction = RetryAction.RETRY
        retry_delay: timedelta | None = None
        reason: str | None = None
        match_subclasses: bool = True

        def _classes(self) -> tuple[type[BaseException], ...]:
            classes = []
            for spec in self.exception if isinstance(self.exception, list) else [self.exception]:
                if isinstance(spec, str):
                    module, _, name = spec.rpartition(".")
                    try:
                        spec = getattr(import_module(module), name)
                    except (ImportError, AttributeError):
                        log.warning("RetryRule: cannot import %r; it matches nothing", spec)
                        continue
                classes.append(spec)
            return tuple(classes)

        def matches(self, exc: BaseException) -> bool:
            classes = self._classes()
            return isinstance(exc, classes) if self.match_subclasses else type(exc) in classes

    class ExceptionRetryPolicy(RetryPolicy):  # type: ignore[no-redef]
        """The first matching rule decides, else ``default`` (as ``airflow.sdk.ExceptionRetryPolicy``)."""

        def __init__(self, rules: list[RetryRule], default: RetryAction = RetryAction.DEFAULT) -> None:
            self.rules = rules
            self.default = default

        def evaluate(
            self, exception: BaseException, try_number: int, max_tries: int, context: Any = None
        ) -> RetryDecision:
            for rule in self.rules:
                if rule.matches(exception):
                    reason = rule.reason or f"Matched rule for {type(exception).__name__}"
                    return RetryDecision(action=rule.action, retry_delay=rule.retry_delay, reason=reason)
            return RetryDecision(action=self.default)

        def serialize(self) -> dict[str, Any]:
            return {"__type": "ExceptionRetryPolicy", "rules": [str(rule) for rule in self.rules]}

    class TriggerDagRunOperator(_TriggerDagRunOperator):  # type: ignore[no-redef]
        """The standard provider's operator, taking ``retry_policy`` as it does on Airflow 3.3."""

        def __init__(self, *, retry_policy: RetryPolicy | None = None, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.retry_policy = retry_policy


def retry_policy_of(task: Any) -> Any:
    """The retry policy that applies to ``task``: its own (a mapped task's in its ``partial`` arguments), else its
    DAG's ``default_args``' (None: none)."""
    policy = getattr(task, "retry_policy", None) or (getattr(task, "partial_kwargs", None) or {}).get("retry_policy")
    if policy is None:
        dag = getattr(task, "dag", None)
        policy = (getattr(dag, "default_args", None) or {}).get("retry_policy")
    return policy


def _is_failure(error: BaseException) -> bool:
    """Whether a task's exception is a failure a retry policy judges (not a skip, deferral, reschedule, …)."""
    if isinstance(error, AirflowFailException) or not isinstance(error, Exception):
        return False
    return type(error).__name__ not in {
        "AirflowSkipException",
        "DownstreamTasksSkipped",
        "DagRunTriggerException",
        "TaskDeferred",
        "AirflowRescheduleException",
        "AirflowSensorTimeout",
        "AirflowTaskTimeout",
        "AirflowTaskTerminated",
        "TaskAwaitingInput",
    } and not isinstance(error, AirflowSkipException)


def _with_retry_policy(execute_task: Any) -> Any:
    """Wrap the task runner's ``_execute_task``: a policy's decision to fail fails the task without retries."""

    @functools.wraps(execute_task)
    def _execute_task(context: Any, ti: Any, log: Any) -> Any:
        try:
            return execute_task(context=context, ti=ti, log=log)
        except Exception as error:
            policy = retry_policy_of(ti.task)
            if policy is None or not _is_failure(error):
                raise
            try:
                server = getattr(ti, "_ti_context_from_server", None)
                max_tries = getattr(server, "max_tries", 0) or 0
                decision = policy.evaluate(error, try_number=ti.try_number, max_tries=max_tries, context=context)
            except Exception:
                log.exception("Retry policy evaluation failed, falling back to default behaviour")
                raise error from None
            if getattr(decision.action, "value", decision.action) != "fail":
                raise
            log.info("Retry policy decision", action="fail", reason=decision.reason)
            raise AirflowFailException(decision.reason or str(error)) from error

    _execute_task.iam_lifecycle_retry_policy = True  # type: ignore[attr-defined]
    return _execute_task


def _install_retry_policies() -> None:
    from airflow.sdk.execution_time import task_runner

    if not getattr(task_runner._execute_task, "iam_lifecycle_retry_policy", False):
        task_runner._execute_task = _with_retry_policy(task_runner._execute_task)


def _install_boolean_backoff() -> None:
    """Airflow 3.1: a numeric ``retry_exponential_backoff`` becomes the bool that version takes (doubling)."""
    from airflow.sdk.bases import operator

    if operator.BASEOPERATOR_ARGS_EXPECTED_TYPES.get("retry_exponential_backoff") is not bool:
        return
    validate = operator.validate_instance_args
    if getattr(validate, "iam_lifecycle_backoff", False):
        return

    @functools.wraps(validate)
    def validate_instance_args(instance: Any, expected_arg_types: dict) -> None:
        backoff = getattr(instance, "retry_exponential_backoff", False)
        if isinstance(backoff, int | float) and not isinstance(backoff, bool):
            instance.retry_exponential_backoff = backoff > 1
        validate(instance, expected_arg_types)

    validate_instance_args.iam_lifecycle_backoff = True  # type: ignore[attr-defined]
    operator.validate_instance_args = validate_instance_args


def _context_keys_first(signature: Any, context_keys: Any) -> Any:
    """``signature`` with its parameters keyword-only when a context key precedes one without a default."""
    import inspect

    kinds = {param.kind for param in signature.parameters.values()}
    if kinds & {inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.VAR_POSITIONAL}:
        return signature
    seen_context_key = False
    for param in signature.parameters.values():
        if param.name in context_keys:
            seen_context_key = True
        elif seen_context_key and param.default is param.empty and param.kind is param.POSITIONAL_OR_KEYWORD:
            break
    else:
        return signature
    return signature.replace(
        parameters=[
            param.replace(kind=inspect.Parameter.KEYWORD_ONLY) if param.kind is param.POSITIONAL_OR_KEYWORD else param
            for param in signature.parameters.values()
        ]
    )


def _install_context_keys_anywhere() -> None:
    """Airflow 3.1: TaskFlow functions may take a context key before parameters without defaults (as on 3.2)."""
    import inspect
    import types

    from airflow.sdk.bases import decorator

    if hasattr(decorator, "_IAM_LIFECYCLE_INSPECT") or "injected_for_ordering" in inspect.getsource(decorator):
        return  # Airflow >= 3.2 handles it
    from airflow.sdk.definitions.context import KNOWN_CONTEXT_KEYS

    proxy = types.ModuleType("inspect")
    proxy.__dict__.update(inspect.__dict__)
    proxy.signature = lambda obj, *args, **kwargs: _context_keys_first(  # type: ignore[attr-defined]
        inspect.signature(obj, *args, **kwargs), KNOWN_CONTEXT_KEYS
    )
    decorator._IAM_LIFECYCLE_INSPECT = proxy  # type: ignore[attr-defined]
    decorator.inspect = proxy  # type: ignore[attr-defined]


if not NATIVE_RETRY_POLICY:
    _install_retry_policies()
_install_boolean_backoff()
_install_context_keys_anywhere()
