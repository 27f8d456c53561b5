"""gunicorn settings for a LAN server: a few threaded workers, long timeout for PDFs."""
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4
timeout = 120
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
