"""Matching needs with volunteers and resources: explainable scores (``scoring``), the
admin's ranked candidates and the volunteer's 为你推荐, invitations and resource requests."""
