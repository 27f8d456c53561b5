"""Settings shared by every test."""
import os

# The tests' databases are throwaway: no disk flush per commit (the default is FULL, see
# kiemphieu.sqlite_engine). Servers the tests start inherit it.
os.environ.setdefault("KIEMPHIEU_SQLITE_SYNCHRONOUS", "NORMAL")
