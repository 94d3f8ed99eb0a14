"""One module per upstream: request building and parsing at the boundary."""
