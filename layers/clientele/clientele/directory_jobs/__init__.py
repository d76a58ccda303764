"""Work on the whole directory: merging two profiles, likely duplicates, exports and imports.

A context above sales, because a merge moves sales, cards and counters along with the profile.
"""
