"""natrisk: national security risk assessment, planning and follow-up."""

__version__ = "0.1.0"
