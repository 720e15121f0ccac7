"""Storage layer: SQLAlchemy models, the Store (the only code that touches SQL),
Alembic migrations, the importer and the demo dataset."""
