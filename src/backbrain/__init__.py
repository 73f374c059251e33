"""backbrain: a backend engineering second brain that runs.

Kept import-free on purpose: `backbrain --version` must start in a few tens of milliseconds,
so every heavy module is imported lazily by the command that needs it.
"""

__version__ = "0.1.0"
