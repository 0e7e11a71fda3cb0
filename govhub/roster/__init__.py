"""Importing volunteers from an Excel roster (花名册), with printable activation slips."""
