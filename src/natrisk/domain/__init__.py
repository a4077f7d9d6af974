"""Entities of the method as pydantic models; bad input is rejected here, once."""
