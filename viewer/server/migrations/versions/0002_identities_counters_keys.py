"""Sending identities per user, atomic login counters, idempotency keys of sends.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("identities", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("email", sa.String(320), nullable=False, server_default=""))
    op.drop_table("login_failures")
    op.create_table(
        "login_counters",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("window_start", sa.Float, nullable=False, index=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_table(
        "send_keys",
        sa.Column("user", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False, index=True),
        sa.Column("response", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("send_keys")
    op.drop_table("login_counters")
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, index=True),
        sa.Column("at", sa.Float, nullable=False, index=True),
    )
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
        batch.drop_column("identities")
