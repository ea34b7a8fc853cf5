"""Synthetic national cohort: deterministic, realistic NPDA 2021-dataset children and visits.

`plan` sizes the units and draws their random effects, `generator` draws one unit's children and
visits as submission records, `csv_writer` writes them as an NPDA template file, and `service`
stores them (or writes the files) for a whole cohort.
"""
