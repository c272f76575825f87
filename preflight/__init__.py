"""preflight: deployment lessons as static checks."""

__version__ = "0.1.0"
