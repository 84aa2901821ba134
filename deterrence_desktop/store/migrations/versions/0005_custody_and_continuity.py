"""custody episodes, release-date changes, local closures, continuity templates and plans

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('custody_episode',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('establishment_id', sa.Integer(), nullable=True),
    sa.Column('prison_number', sa.String(length=20), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('expected_release', sa.Date(), nullable=True),
    sa.Column('actual_release', sa.Date(), nullable=True),
    sa.Column('sentence_band', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['establishment_id'], ['partner.id'], name=op.f('fk_custody_episode_establishment_id_partner'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_custody_episode_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_episode'))
    )
    with op.batch_alter_table('custody_episode', schema=None) as batch_op:
        batch_op.create_index('ix_custody_episode_person_started', ['person_id', 'started_on'], unique=False)
        batch_op.create_index('ix_custody_episode_release', ['actual_release', 'expected_release'], unique=False)

    op.create_table('release_date_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=False),
    sa.Column('expected_release', sa.Date(), nullable=True),
    sa.Column('learned_on', sa.Date(), nullable=False),
    sa.Column('previous', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['episode_id'], ['custody_episode.id'], name=op.f('fk_release_date_change_episode_id_custody_episode'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_date_change'))
    )
    with op.batch_alter_table('release_date_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_date_change_episode_id'), ['episode_id'], unique=False)

    op.create_table('local_closure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_local_closure')),
    sa.UniqueConstraint('on', name=op.f('uq_local_closure_on'))
    )
    op.create_table('continuity_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_continuity_template')),
    sa.UniqueConstraint('name', name=op.f('uq_continuity_template_name'))
    )
    op.create_table('template_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('partner_type', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.Column('shift', sa.String(length=8), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('intervention_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['intervention_id'], ['intervention.id'], name=op.f('fk_template_step_intervention_id_intervention'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['continuity_template.id'], name=op.f('fk_template_step_template_id_continuity_template'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_step'))
    )
    with op.batch_alter_table('template_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_step_template_id'), ['template_id'], unique=False)

    op.create_table('continuity_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['custody_episode.id'], name=op.f('fk_continuity_plan_episode_id_custody_episode'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['continuity_template.id'], name=op.f('fk_continuity_plan_template_id_continuity_template'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_continuity_plan'))
    )
    with op.batch_alter_table('continuity_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_continuity_plan_episode_id'), ['episode_id'], unique=False)

    op.create_table('plan_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=True),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.Column('shift', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_plan_action_action_id_action'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['continuity_plan.id'], name=op.f('fk_plan_action_plan_id_continuity_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['step_id'], ['template_step.id'], name=op.f('fk_plan_action_step_id_template_step'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_action')),
    sa.UniqueConstraint('action_id', name='uq_plan_action_action_id')
    )
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_action_plan_id'), ['plan_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_action_plan_id'))
    op.drop_table('plan_action')
    with op.batch_alter_table('continuity_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_continuity_plan_episode_id'))
    op.drop_table('continuity_plan')
    with op.batch_alter_table('template_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_step_template_id'))
    op.drop_table('template_step')
    op.drop_table('continuity_template')
    op.drop_table('local_closure')
    with op.batch_alter_table('release_date_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_date_change_episode_id'))
    op.drop_table('release_date_change')
    with op.batch_alter_table('custody_episode', schema=None) as batch_op:
        batch_op.drop_index('ix_custody_episode_release')
        batch_op.drop_index('ix_custody_episode_person_started')
    op.drop_table('custody_episode')
