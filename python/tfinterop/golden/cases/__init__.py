"""Golden cases: the manifest format and the generators that record them."""
