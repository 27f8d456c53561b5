"""Login, logout, users and their congress assignments; the access rules of every view."""
