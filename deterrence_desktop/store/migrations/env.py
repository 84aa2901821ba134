"""Alembic environment: always run on the connection the workspace hands over."""
from alembic import context

from deterrence_desktop.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the app never runs alembic without a workspace
    raise RuntimeError("Run migrations through deterrence_desktop.store.migrations.upgrade()")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=True, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
