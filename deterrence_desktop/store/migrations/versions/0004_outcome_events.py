"""outcome events; the day a person left a cohort

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('outcome_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('source_reference', sa.String(length=200), nullable=False),
    sa.Column('cps_decision', sa.String(length=32), nullable=True),
    sa.Column('arrested_on', sa.Date(), nullable=True),
    sa.Column('disposal', sa.String(length=200), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('death_cause', sa.String(length=16), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_outcome_event_incident_id_incident'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_outcome_event_partner_id_partner'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_outcome_event_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_event'))
    )
    with op.batch_alter_table('outcome_event', schema=None) as batch_op:
        batch_op.create_index('ix_outcome_event_kind_time', ['kind', 'occurred_on'], unique=False)
        batch_op.create_index('ix_outcome_event_person_kind_time', ['person_id', 'kind', 'occurred_on'], unique=False)
    with op.batch_alter_table('cohort_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_on', sa.Date(), nullable=True))
    # Covering indexes for what an evaluation reads of actions and communications.
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index('ix_action_evaluation', ['person_id', 'partner_id', 'status',
                                                       'due_date', 'updated_at', 'kind'], unique=False)
    with op.batch_alter_table('communication', schema=None) as batch_op:
        batch_op.create_index('ix_communication_evaluation',
                              ['person_id', 'outcome', 'occurred_at', 'deterrence_message',
                               'support_offer', 'channel'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('communication', schema=None) as batch_op:
        batch_op.drop_index('ix_communication_evaluation')
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index('ix_action_evaluation')
    with op.batch_alter_table('cohort_member', schema=None) as batch_op:
        batch_op.drop_column('left_on')
    with op.batch_alter_table('outcome_event', schema=None) as batch_op:
        batch_op.drop_index('ix_outcome_event_person_kind_time')
        batch_op.drop_index('ix_outcome_event_kind_time')
    op.drop_table('outcome_event')
