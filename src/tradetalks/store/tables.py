"""The tables of the store (SQLAlchemy Core), one definition shared by the code and the migrations.

- ``scenarios``: one row per scenario the service holds (its current version, timestamps, a soft ``deleted_at``);
- ``scenario_versions``: every version's YAML text and its SHA-256, never changed after it is written;
- ``runs``: background jobs (analysis, uncertainty) with their status, progress, error and results (JSON);
- ``scenario_tokens``: the owner's and viewers' tokens of each scenario, as salted hashes (migration
  ``0003_scenario_auth``, which also adds ``scenarios.published``; operations in :mod:`tradetalks.store.repository`).

``room_id`` columns (nullable, unused yet) leave room for the confidential rooms of issue #10 §4: a later migration
adds ``rooms`` and ``tokens`` tables and a foreign key, without rewriting these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

#: names of constraints and indexes, so that migrations on SQLite and PostgreSQL name them alike
metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

#: longest id of a scenario or run (URL-safe text)
ID_LENGTH = 64

scenarios = Table(
    "scenarios", metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("current_version", Integer, nullable=False),
    Column("room_id", String(ID_LENGTH), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Column("published", Boolean, nullable=False, server_default=false()),
)

scenario_versions = Table(
    "scenario_versions", metadata,
    Column("scenario_id", String(ID_LENGTH), ForeignKey("scenarios.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("yaml", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("scenario_id", String(ID_LENGTH), nullable=False),
    Column("scenario_version", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("options", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", Float, nullable=False, default=0.0),
    Column("message", Text, nullable=False, default=""),
    Column("error", JSON, nullable=True),
    Column("results", JSON, nullable=True),
    Column("room_id", String(ID_LENGTH), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    ForeignKeyConstraint(["scenario_id", "scenario_version"],
                         ["scenario_versions.scenario_id", "scenario_versions.version"]),
    Index("ix_runs_status", "status"),
    Index("ix_runs_scenario_id", "scenario_id"),
)

#: a scenario's tokens (role ``owner`` or ``viewer``), shown once; only a per-token random salt and
#: SHA-256(salt + secret) are kept (:mod:`tradetalks.store.tokens`). A revoked or rotated token keeps its row with
#: ``revoked_at`` set, and is refused from then on.
scenario_tokens = Table(
    "scenario_tokens", metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("scenario_id", String(ID_LENGTH), ForeignKey("scenarios.id"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("label", String(200), nullable=True),
    Column("salt", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Index("ix_scenario_tokens_scenario_id", "scenario_id"),
)

# -- confidential mediator rooms (issue #10 §4; migration 0002_rooms; operations in tradetalks.store.rooms) ----------
rooms = Table(
    "rooms", metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("scenario_id", String(ID_LENGTH), nullable=False),
    Column("scenario_version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),  # 0003b: history readable without a token
    ForeignKeyConstraint(["scenario_id", "scenario_version"],
                         ["scenario_versions.scenario_id", "scenario_versions.version"]),
)

#: a token is shown once; only a per-token random salt and SHA-256(salt + secret) are kept
room_tokens = Table(
    "room_tokens", metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("room_id", String(ID_LENGTH), ForeignKey("rooms.id"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("party", String(ID_LENGTH), nullable=True),
    Column("salt", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),  # 0003b: rotated or revoked tokens stop working
)

room_inputs = Table(
    "room_inputs", metadata,
    Column("room_id", String(ID_LENGTH), ForeignKey("rooms.id"), primary_key=True),
    Column("party", String(ID_LENGTH), primary_key=True),
    Column("overrides", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

room_proposals = Table(
    "room_proposals", metadata,
    Column("room_id", String(ID_LENGTH), ForeignKey("rooms.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("package", JSON, nullable=False),
    Column("tabled_by", String(ID_LENGTH), nullable=False),
    Column("status", String(16), nullable=False),
    Column("decisions", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("kind", String(16), nullable=True),  # 0003b: "proposal" (NULL in older rows) or "improvement"
    Column("rule", String(32), nullable=True),  # 0003b: the mediator's rule; NULL for a package the owner wrote
)
