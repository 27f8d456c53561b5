"""Scanned ballots: uploads, the scanner-station API, the worker's bookkeeping, adjudication.

``routes`` is the Flask blueprint (imported by the app factory); ``intake`` checks uploaded
files (magic bytes, zip safety) without Flask; ``station`` is the scanner-station client
(requests only). Nothing here runs OpenCV in a web request: the worker (kiemphieu.worker) reads.
"""
