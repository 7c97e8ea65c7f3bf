"""Migration revisions, oldest first: `NNNN_slug.py`, revision id `NNNN`."""
