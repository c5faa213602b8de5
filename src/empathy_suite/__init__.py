"""empathy-suite: Lightning reimplementations of empathetic dialogue papers."""

__version__ = "0.1.0"
