"""The version of scsim (one place; the package and every run's manifest read it)."""
__version__ = "0.2.0"
