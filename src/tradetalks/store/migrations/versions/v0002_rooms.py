"""Confidential mediator rooms: rooms, their hashed tokens, each party's private inputs and the proposals.

Revision ID: 0002_rooms
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_rooms"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_ID = 64


def upgrade() -> None:
    op.create_table(
        "rooms",
        sa.Column("id", sa.String(_ID), nullable=False),
        sa.Column("scenario_id", sa.String(_ID), nullable=False),
        sa.Column("scenario_version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rooms"),
        sa.ForeignKeyConstraint(["scenario_id", "scenario_version"],
                                ["scenario_versions.scenario_id", "scenario_versions.version"],
                                name="fk_rooms_scenario_id_scenario_versions"),
    )
    op.create_table(
        "room_tokens",
        sa.Column("id", sa.String(_ID), nullable=False),
        sa.Column("room_id", sa.String(_ID), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("party", sa.String(_ID), nullable=True),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_room_tokens"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name="fk_room_tokens_room_id_rooms"),
    )
    op.create_table(
        "room_inputs",
        sa.Column("room_id", sa.String(_ID), nullable=False),
        sa.Column("party", sa.String(_ID), nullable=False),
        sa.Column("overrides", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "party", name="pk_room_inputs"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name="fk_room_inputs_room_id_rooms"),
    )
    op.create_table(
        "room_proposals",
        sa.Column("room_id", sa.String(_ID), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("package", sa.JSON, nullable=False),
        sa.Column("tabled_by", sa.String(_ID), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decisions", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("room_id", "number", name="pk_room_proposals"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name="fk_room_proposals_room_id_rooms"),
    )


def downgrade() -> None:
    op.drop_table("room_proposals")
    op.drop_table("room_inputs")
    op.drop_table("room_tokens")
    op.drop_table("rooms")
