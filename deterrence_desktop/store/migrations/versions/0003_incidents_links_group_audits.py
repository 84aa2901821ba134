"""incidents, the people and groups involved, links between people, group-audit sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident'))
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_occurred_on'), ['occurred_on'], unique=False)

    op.create_table('incident_person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_incident_person_incident_id_incident'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_incident_person_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_person')),
    sa.UniqueConstraint('incident_id', 'person_id', name='uq_incident_person_pair')
    )
    with op.batch_alter_table('incident_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_person_person_id'), ['person_id'], unique=False)

    op.create_table('incident_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['group_record.id'], name=op.f('fk_incident_group_group_id_group_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_incident_group_incident_id_incident'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_group')),
    sa.UniqueConstraint('incident_id', 'group_id', name='uq_incident_group_pair')
    )
    with op.batch_alter_table('incident_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_group_group_id'), ['group_id'], unique=False)

    op.create_table('person_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('other_person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source_partner_id', sa.Integer(), nullable=True),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('confidence', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['other_person_id'], ['person.id'], name=op.f('fk_person_link_other_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_link_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_partner_id'], ['partner.id'], name=op.f('fk_person_link_source_partner_id_partner'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_link'))
    )
    with op.batch_alter_table('person_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_link_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_link_other_person_id'), ['other_person_id'], unique=False)

    op.create_table('group_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('participants', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_audit'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('group_audit')
    with op.batch_alter_table('person_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_link_other_person_id'))
        batch_op.drop_index(batch_op.f('ix_person_link_person_id'))
    op.drop_table('person_link')
    with op.batch_alter_table('incident_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_group_group_id'))
    op.drop_table('incident_group')
    with op.batch_alter_table('incident_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_person_person_id'))
    op.drop_table('incident_person')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_occurred_on'))
    op.drop_table('incident')
