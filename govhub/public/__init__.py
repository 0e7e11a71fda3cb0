"""居务公开: the no-login three-lists pages of a community and of a street, with no
personal data, printable as an A4 notice for the notice board (公示栏)."""
