"""DeleteUser with its conflicts, and the truth of what it did.

**Pinned identity.** Before DeleteUser, and before removing anything DeleteConflict names, :func:`delete_user`
reads the user again (:func:`~offboarding.plan.pinned_user`) and refuses to go on when its ``UserId`` is not
the one the run checked, or when it is now protected.

**Truthful outcome.** :func:`delete_user` says whether this run deleted the user, whether that was confirmed by a
retry (DeleteUser applied but its answer lost or its connection dropped, the retry finding the user gone; a
throttled attempt was not applied, so a retry after it that finds the user gone means someone else deleted it), or
whether someone else deleted it; and what it removed besides the plan (items added during the run).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from iam_lifecycle import holdings, snapshots
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.retries import EARLIER_ATTEMPT_MAY_HAVE_APPLIED
from iam_lifecycle.offboarding import plan as offboarding

log = logging.getLogger(__name__)


def delete_user(
    hook: IamHook,
    user_name: str,
    pin: offboarding.Pin,
    *,
    record_leftovers: Callable[[dict[str, Any]], str],
    attempts: int = 4,
    backoff_seconds: float = 2.0,
    before_delete: Callable[[], None] = lambda: None,
    after_refusal: Callable[[], None] = lambda: None,
    sent_by_earlier_try: bool = False,
) -> dict[str, Any]:
    """
    Delete the user the run checked (``pin``), after reading it again (:func:`~offboarding.plan.pinned_user`).

    A DeleteConflict means something is still attached: added since it was listed, or a removal IAM has not
    finished propagating. Each time, the user is read again, what is left is listed, recorded with
    ``record_leftovers`` (which returns where: a snapshot addendum) and removed, and DeleteUser is tried again,
    ``attempts`` times in all. The deny policy of :func:`~offboarding.plan.contain` is deleted right before each
    DeleteUser and put back after each conflict; before giving up, sign-in is taken away once more
    (:func:`_leave_no_sign_in`), so the user left behind, whatever was added before each attempt, can do nothing.

    :param before_delete: called right before each DeleteUser is sent (it records that one was).
    :param after_refusal: called when AWS answered that DeleteUser was not applied (it withdraws that record).
    :param sent_by_earlier_try: an earlier try of this task sent DeleteUser and no refusal came back (its worker
        died, or the task was cleared after it): a user found gone was deleted by this run, as far as anyone can tell.
    :return: ``deleted`` (this run's DeleteUser deleted the user), ``confirmed_by_retry`` (its answer was lost and
        the client's retry found the user gone), ``sent_by_earlier_try`` (an earlier try of the task sent it and
        was lost; this one found the user gone), ``gone_before`` (someone else deleted it first), ``leftovers``
        (kind -> items removed after a conflict) and ``addenda`` (where they were recorded).
    """
    outcome: dict[str, Any] = {
        "deleted": False,
        "confirmed_by_retry": False,
        "sent_by_earlier_try": False,
        "gone_before": False,
        "leftovers": {},
        "addenda": [],
    }
    attempt = 1
    while True:
        try:
            if offboarding.pinned_user(hook, user_name, pin) is None:
                if sent_by_earlier_try:
                    log.info("An earlier try sent DeleteUser; %s is gone: deleted by this run", user_name)
                    return outcome | {"deleted": True, "sent_by_earlier_try": True}
                log.info("IAM user %s was deleted by someone else before this run's DeleteUser", user_name)
                return outcome | {"gone_before": True}
            # Recorded while the user is still contained: a record that cannot be written leaves the deny policy on.
            before_delete()
            try:
                # Contained until this moment: AWS refuses DeleteUser while the deny policy is there.
                offboarding.release(hook, user_name)
                hook.delete_user(user_name)
            except ClientError as answer:
                if not answer.response.get("ResponseMetadata", {}).get(EARLIER_ATTEMPT_MAY_HAVE_APPLIED):
                    after_refusal()  # AWS said no and no attempt may have applied: nothing was sent that counts
                raise
        except hook.conn.exceptions.NoSuchEntityException as error:
            if error.response.get("ResponseMetadata", {}).get(EARLIER_ATTEMPT_MAY_HAVE_APPLIED):
                log.info("DeleteUser's answer was lost; its retry found %s gone: deleted by this run", user_name)
                return outcome | {"deleted": True, "confirmed_by_retry": True}
            log.info("IAM user %s was deleted by someone else just before this run's DeleteUser", user_name)
            return outcome | {"gone_before": True}
        except hook.conn.exceptions.DeleteConflictException as conflict:
            _contain_again(hook, user_name)  # something is left: the user can do nothing while it is removed
            if attempt == attempts:
                _leave_no_sign_in(hook, user_name, pin)
                raise
            if not _remove_leftovers(hook, user_name, pin, record_leftovers, outcome):
                return outcome | {"gone_before": True}
            log.warning("DeleteUser conflict (%s) on attempt %d of %d", conflict, attempt, attempts)
            time.sleep(backoff_seconds * attempt)
            attempt += 1
        else:
            log.info("Deleted IAM user %s", user_name)
            return outcome | {"deleted": True}


def _remove_leftovers(
    hook: IamHook,
    user_name: str,
    pin: offboarding.Pin,
    record_leftovers: Callable[[dict[str, Any]], str],
    outcome: dict,
) -> bool:
    """After a DeleteConflict: re-read, list, record and remove what is left. False when the user is gone."""
    try:
        if offboarding.pinned_user(hook, user_name, pin) is None:
            return False
        leftovers = offboarding.list_holdings(hook, user_name)
    except hook.conn.exceptions.NoSuchEntityException:
        return False
    if offboarding.holds_anything(leftovers):
        log.warning("Removing what %s still holds: %s", user_name, leftovers)
        outcome["addenda"].append(record_leftovers(leftovers))
        offboarding.remove_all(hook, user_name, leftovers)
        for kind, found in holdings.items_by_kind(leftovers, user_name).items():
            outcome["leftovers"].setdefault(kind, []).extend(found)
    return True


def _contain_again(hook: IamHook, user_name: str) -> None:
    try:
        offboarding.contain(hook, user_name)
    except hook.conn.exceptions.NoSuchEntityException:
        pass  # deleted meanwhile: the next attempt finds it gone


def _leave_no_sign_in(hook: IamHook, user_name: str, pin: offboarding.Pin) -> None:
    """Before giving up on DeleteUser: the pinned user's password deleted and every key it has now deactivated."""
    try:
        if offboarding.pinned_user(hook, user_name, pin) is not None:
            log.warning("DeleteUser still conflicts; taking away sign-in of %s again before giving up", user_name)
            offboarding.revoke_sign_in(hook, user_name)
    except hook.conn.exceptions.NoSuchEntityException:
        pass  # deleted meanwhile: nothing left to sign in with


def with_every_addendum(outcome: dict[str, Any], addenda: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """
    ``outcome`` of :func:`delete_user` with the addenda of the run's earlier tries too (``addenda``: as
    ``snapshots.addenda_of`` finds them beside the snapshot): every addendum named once, and what each recorded
    counted once among the leftovers.
    """
    uris = list(dict.fromkeys([uri for uri, _ in addenda] + outcome["addenda"]))
    leftovers: dict[str, list[str]] = {kind: list(items) for kind, items in outcome["leftovers"].items()}
    for _, addendum in addenda:
        for kind, items in snapshots.items_of(addendum).items():
            known = leftovers.setdefault(kind, [])
            known.extend(item for item in items if item not in known)
    return outcome | {"addenda": uris, "leftovers": leftovers}
