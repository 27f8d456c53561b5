"""The worker's queues: scans and generated documents.

``claims`` takes work from both with one set of rules (fair across rounds / congresses, row
locks skipped on PostgreSQL, stale claims retaken, a claim that crashed the worker twice
refused); ``documents`` knows each kind of document (what it is made from, how it renders);
``services`` asks for one and runs one; ``routes`` the waiting page and the download.
"""
