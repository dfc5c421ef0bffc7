"""Offboarding a person from IAM Identity Center: the instance and its identity store, the person's user, its
account assignments and group memberships (and the access each group gives), their removal in AWS's order
(assignments, then memberships, then the user), the snapshot that keeps them, its restore, and the proof that
nothing is left."""
