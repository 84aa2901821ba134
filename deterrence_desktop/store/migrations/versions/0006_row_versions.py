"""row versions on every table whose rows are changed in place (team mode: edit conflicts)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

Each table gets an integer ``version`` (NOT NULL, 1 for the rows already there). The ORM
uses it as the mapper's ``version_id_col``: every update checks and raises it, so an
edit made from a stale copy is refused instead of overwriting someone else's. ``action``
has had its version since 0001. Portable: batch_alter_table adds a column in place on
SQLite (ALTER TABLE ... ADD COLUMN) and on PostgreSQL alike.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = (
    "partnership", "partner", "app_user", "person", "influencer", "group_record",
    "membership", "cohort_member", "call_in", "communication", "setting", "signatory",
    "custom_notification", "meeting_item", "custody_episode", "continuity_template",
    "template_step", "incident", "person_link", "group_audit", "outcome_event",
)


def upgrade() -> None:
    """Upgrade schema."""
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1',
                                          nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
