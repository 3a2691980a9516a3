"""Database access: schema (SQLAlchemy Core) and the async engine factory."""
