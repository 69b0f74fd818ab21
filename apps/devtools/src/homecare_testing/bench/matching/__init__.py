"""`make bench-matching`: the matching service measured against a PostGIS baseline."""
