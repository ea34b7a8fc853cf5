"""Unit submissions: parse and validate an NPDA CSV, then store it as the unit's active data."""
