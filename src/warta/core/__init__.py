"""Framework-free logic: plain data in, plain data out. Never imports Django."""
