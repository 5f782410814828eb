"""The one judge: every client's results against the goldens."""
