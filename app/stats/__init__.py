"""Statistics: the Decision 766 indicators of the dossiers, for the public and for officials."""
