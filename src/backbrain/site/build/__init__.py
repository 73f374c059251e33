"""Build plumbing: the incremental builder, its saved state, output writing and the vault cache."""
