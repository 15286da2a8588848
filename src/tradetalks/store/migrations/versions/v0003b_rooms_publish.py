"""Rooms: publishing a room read-only, rotating and revoking tokens, the rule and kind of each proposal.

- ``rooms.published_at``: when the owner published the room's history (NULL: not published);
- ``room_tokens.revoked_at``: when a token was rotated or revoked (NULL: valid);
- ``room_proposals.kind`` (``proposal`` or ``improvement``, NULL in older rows meaning ``proposal``) and
  ``room_proposals.rule`` (the mediator's rule, NULL for a package the owner wrote).

Only nullable columns are added, so the migration runs on SQLite (``ADD COLUMN``) and PostgreSQL alike and
older rows stay valid.

Revision ID: 0003b_rooms_publish
Revises: 0003_scenario_auth
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003b_rooms_publish"
down_revision = "0003_scenario_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rooms", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("room_tokens", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("room_proposals", sa.Column("kind", sa.String(16), nullable=True))
    op.add_column("room_proposals", sa.Column("rule", sa.String(32), nullable=True))


#: the columns this revision adds, (table, column), dropped in reverse order on the way down
_ADDED = (("rooms", "published_at"), ("room_tokens", "revoked_at"), ("room_proposals", "kind"),
          ("room_proposals", "rule"))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN in place (SQLite >= 3.35 and PostgreSQL): a batch copy of `rooms` would drop a
    # table that the other room tables reference, which SQLite refuses with foreign keys on
    for table, column in reversed(_ADDED):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
