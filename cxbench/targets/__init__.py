"""Targets that consultants agree with their clients: the store (writes, apart from the
immutable snapshots), the rules a new target must pass, and its progress from the scorecards."""
