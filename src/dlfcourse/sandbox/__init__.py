"""Running untrusted code: the worker inside the sandbox and its handles outside (standard library and numpy only)."""
