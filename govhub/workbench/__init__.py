"""Workbenches (工作台): the work face of govhub, one per role a person holds."""
