"""planning book: one record per entity across units and imports; plans and calendars per unit

Scenarios become imports into the book. Their records move into ``book_records``: where several
imports held the same id, the most recent import's version is kept (a departure stays with the
unit of that import). Plans and calendar events get the unit of their scenario; where one unit
held the same event key in two scenarios (the double booking the book ends), the newest is kept.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 17:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSONDOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('book_state',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('revision', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.execute("INSERT INTO book_state (id, revision) VALUES (1, 0)")
    op.create_table('book_records',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('kind', sa.String(length=20), nullable=False),
                    sa.Column('key', sa.String(length=120), nullable=False),
                    sa.Column('unit', sa.String(length=80), nullable=True),
                    sa.Column('position', sa.Integer(), nullable=False),
                    sa.Column('data', JSONDOC, nullable=False),
                    sa.Column('version', sa.Integer(), nullable=False),
                    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('updated_by', sa.String(length=80), nullable=False),
                    sa.Column('handover_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('kind', 'key'))
    op.create_index('ix_book_records_unit', 'book_records', ['kind', 'unit'], unique=False)
    # The newest import's record of each (kind, key); departures keep that import's unit.
    op.execute("""
        INSERT INTO book_records (kind, key, unit, position, data, version, updated_at, updated_by)
        SELECT r.kind, r.key, CASE WHEN r.kind = 'departures' THEN s.unit END, r.position, r.data, r.version,
               r.updated_at, r.updated_by
        FROM records r JOIN scenarios s ON s.id = r.scenario_id
        WHERE r.scenario_id = (SELECT max(r2.scenario_id) FROM records r2 WHERE r2.kind = r.kind AND r2.key = r.key)
    """)
    op.drop_table('records')
    with op.batch_alter_table('scenarios') as batch_op:
        batch_op.add_column(sa.Column('changes', JSONDOC, nullable=True))

    with op.batch_alter_table('plans') as batch_op:
        batch_op.add_column(sa.Column('unit', sa.String(length=80), nullable=True))
    op.execute("UPDATE plans SET unit = (SELECT unit FROM scenarios WHERE scenarios.id = plans.scenario_id)")
    # One published plan per unit: the newest publication stays, the others are superseded.
    op.execute("""
        UPDATE plans SET state = 'superseded'
        WHERE state = 'published' AND id < (SELECT max(p2.id) FROM plans p2
                                            WHERE p2.unit = plans.unit AND p2.state = 'published')
    """)
    with op.batch_alter_table('plans') as batch_op:
        batch_op.alter_column('unit', existing_type=sa.String(length=80), nullable=False)
        batch_op.create_index('ix_plans_unit', ['unit'], unique=False)

    # Rebuilt rather than altered: the old unique (scenario_id, key) has no name to drop on SQLite.
    op.create_table('calendar_events_book',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('unit', sa.String(length=80), nullable=False),
                    sa.Column('scenario_id', sa.Integer(), nullable=False),
                    sa.Column('owner', sa.String(length=120), nullable=False),
                    sa.Column('key', sa.String(length=300), nullable=False),
                    sa.Column('uid', sa.String(length=64), nullable=False),
                    sa.Column('sequence', sa.Integer(), nullable=False),
                    sa.Column('status', sa.String(length=12), nullable=False),
                    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('end', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('tzid', sa.String(length=64), nullable=False),
                    sa.Column('end_tzid', sa.String(length=64), nullable=False),
                    sa.Column('summary', sa.Text(), nullable=False),
                    sa.Column('location', sa.Text(), nullable=False),
                    sa.Column('description', sa.Text(), nullable=False),
                    sa.Column('busy', sa.Boolean(), nullable=False),
                    sa.Column('plan_id', sa.Integer(), nullable=False),
                    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['scenario_id'], ['scenarios.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('unit', 'key', name='uq_calendar_events_unit_key'),
                    sa.UniqueConstraint('uid', name='uq_calendar_events_uid'))
    columns = ('id, scenario_id, owner, key, uid, sequence, status, start, "end", tzid, end_tzid, summary, '
               'location, description, busy, plan_id, updated_at')
    op.execute(f"""
        INSERT INTO calendar_events_book (unit, {columns})
        SELECT s.unit, {', '.join('e.' + c.strip() for c in columns.split(','))}
        FROM calendar_events e JOIN scenarios s ON s.id = e.scenario_id
        WHERE e.id = (SELECT max(e2.id) FROM calendar_events e2 JOIN scenarios s2 ON s2.id = e2.scenario_id
                      WHERE s2.unit = s.unit AND e2.key = e.key)
    """)
    op.drop_table('calendar_events')
    op.rename_table('calendar_events_book', 'calendar_events')
    if op.get_bind().dialect.name == 'postgresql':  # ids were copied: the sequence continues after them
        op.execute("SELECT setval(pg_get_serial_sequence('calendar_events', 'id'), "
                   "COALESCE((SELECT max(id) FROM calendar_events), 0) + 1, false)")
    op.create_index('ix_calendar_events_owner', 'calendar_events', ['owner', 'status'], unique=False)


def downgrade() -> None:
    raise NotImplementedError("the planning book cannot be split back into per-import scenarios")
