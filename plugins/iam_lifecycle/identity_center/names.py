"""The words and shapes of Identity Center that more than one module spells: written once here."""

from __future__ import annotations

#: An identity store's UserName as this package accepts one: IAM's characters, up to the store's 128.
USER_NAME = r"[A-Za-z0-9_+=,.@-]{1,128}"
#: The key under the snapshot root where Identity Center snapshots live (beside the accounts' folders).
SNAPSHOT_FOLDER = "identity-center"
