"""Persistence: SQLAlchemy 2 models and Alembic migrations. No SQL anywhere else."""
