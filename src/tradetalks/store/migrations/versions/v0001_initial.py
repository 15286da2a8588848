"""Scenarios (versioned) and runs.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

_ID = 64


def upgrade() -> None:
    op.create_table(
        "scenarios",
        sa.Column("id", sa.String(_ID), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("room_id", sa.String(_ID), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_scenarios"),
    )
    op.create_table(
        "scenario_versions",
        sa.Column("scenario_id", sa.String(_ID), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("yaml", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scenario_id", "version", name="pk_scenario_versions"),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"], name="fk_scenario_versions_scenario_id_scenarios"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(_ID), nullable=False),
        sa.Column("scenario_id", sa.String(_ID), nullable=False),
        sa.Column("scenario_version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("error", sa.JSON, nullable=True),
        sa.Column("results", sa.JSON, nullable=True),
        sa.Column("room_id", sa.String(_ID), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(["scenario_id", "scenario_version"],
                                ["scenario_versions.scenario_id", "scenario_versions.version"],
                                name="fk_runs_scenario_id_scenario_versions"),
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_scenario_id", "runs", ["scenario_id"])


def downgrade() -> None:
    op.drop_index("ix_runs_scenario_id", "runs")
    op.drop_index("ix_runs_status", "runs")
    op.drop_table("runs")
    op.drop_table("scenario_versions")
    op.drop_table("scenarios")
