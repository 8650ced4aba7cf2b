"""The controlled vocabularies and word lists (data files here) and their one reader."""
