"""Library of the 3D pose baseline: one module a concern (see README, "Code map")."""
