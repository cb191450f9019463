"""Django app: the public site (pages, feeds). Reads what newsroom stored."""
