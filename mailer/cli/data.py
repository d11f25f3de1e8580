"""Commands for the team's reference data: import, groups, dossiers, members, subscribers, suppressions."""
