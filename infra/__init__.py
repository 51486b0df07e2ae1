"""govcloud: tenant environments for the departments of the provincial government cloud."""

__version__ = "0.1.0"
