"""The learning loop: journal, progress, review, playbooks, drills and decisions."""
