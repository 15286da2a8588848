"""Scenario access: a ``published`` flag on scenarios and the scenarios' tokens (owner, viewers) as salted hashes.

Scenarios stored before this migration are unpublished and have no owner token: only the admin token reaches
them (it may publish them, or rotate their owner token to hand one out).

Revision ID: 0003_scenario_auth
Revises: 0002_rooms
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_scenario_auth"
down_revision = "0002_rooms"
branch_labels = None
depends_on = None

_ID = 64


def upgrade() -> None:
    op.add_column("scenarios", sa.Column("published", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "scenario_tokens",
        sa.Column("id", sa.String(_ID), nullable=False),
        sa.Column("scenario_id", sa.String(_ID), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_scenario_tokens"),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"], name="fk_scenario_tokens_scenario_id_scenarios"),
    )
    op.create_index("ix_scenario_tokens_scenario_id", "scenario_tokens", ["scenario_id"])


def downgrade() -> None:
    op.drop_index("ix_scenario_tokens_scenario_id", table_name="scenario_tokens")
    op.drop_table("scenario_tokens")
    with op.batch_alter_table("scenarios") as batch:
        batch.drop_column("published")
