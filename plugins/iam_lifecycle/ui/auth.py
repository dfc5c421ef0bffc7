"""Who may see the page and who may restore: Airflow's own authorization, asked on every request.

Airflow does not authenticate a plugin's FastAPI app. Each route depends on :data:`ReaderDep` (or, to restore,
on :data:`RESTORER`), which take the user from Airflow's session cookie or an ``Authorization: Bearer`` token
exactly as Airflow's REST API does (``get_user``: no token, 401; an invalid one, 403), and ask Airflow's auth
manager whether that user may read the lifecycle DAGs' runs (403 if none) or trigger ``iam_user_provisioning``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from fastapi import Depends, HTTPException, status

from iam_lifecycle.ui.history import LIFECYCLE_DAG_IDS, PROVISIONING


@dataclass(frozen=True)
class Reader:
    """The signed-in user and the lifecycle DAGs whose runs it may read."""

    user: Any
    dag_ids: frozenset[str]

    @property
    def name(self) -> str:
        return self.user.get_name()


def readable_dag_ids(user: Any) -> frozenset[str]:
    """The lifecycle DAGs whose runs the auth manager lets ``user`` read."""
    manager = get_auth_manager()
    return frozenset(
        dag_id
        for dag_id in LIFECYCLE_DAG_IDS
        if manager.is_authorized_dag(
            method="GET", access_entity=DagAccessEntity.RUN, details=DagDetails(id=dag_id), user=user
        )
    )


def reader(user: GetUserDep) -> Reader:
    """The request's user, if it may read the runs of at least one lifecycle DAG; else 403."""
    dag_ids = readable_dag_ids(user)
    if not dag_ids:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "You may not read the runs of the IAM lifecycle DAGs")
    return Reader(user=user, dag_ids=dag_ids)


ReaderDep = Annotated[Reader, Depends(reader)]
#: Restoring triggers iam_user_provisioning: the right Airflow's own trigger endpoint asks for.
RESTORER = Depends(requires_access_dag(method="POST", access_entity=DagAccessEntity.RUN, param_dag_id=PROVISIONING))


def may_restore(user: Any) -> bool:
    """Whether to offer the Restore button (the restore route asks again)."""
    return get_auth_manager().is_authorized_dag(
        method="POST", access_entity=DagAccessEntity.RUN, details=DagDetails(id=PROVISIONING), user=user
    )
