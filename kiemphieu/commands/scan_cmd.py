"""`kiemphieu scan watch` (the scanner station) and `kiemphieu worker` (reads queued scans)."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from pathlib import Path


def register(subparsers) -> None:
    scan = subparsers.add_parser("scan", help="scanner station commands")
    scan_sub = scan.add_subparsers(dest="scan_command", required=True, metavar="SUBCOMMAND")
    watch = scan_sub.add_parser(
        "watch", help="watch a folder, read each new ballot image and send it to the server",
        description="Watches DIR for new scans, reads each one here and sends image and reading to "
                    "the server (idempotent by SHA-256; retried while the server is away).",
    )
    watch.add_argument("directory", metavar="DIR")
    watch.add_argument("--server", required=True, metavar="URL", help="e.g. http://192.168.1.10:8000")
    watch.add_argument("--round", required=True, type=int, metavar="ROUND", help="the round's id (shown on its page)")
    watch.add_argument("--user", metavar="U", help="a counter of the congress (password: prompt or KIEMPHIEU_PASSWORD)")
    watch.add_argument("--password", metavar="P", help="avoid on shared machines: prefer the prompt")
    watch.add_argument("--token", metavar="T", help="a station token from the round's 'Máy trạm quét' page")
    watch.add_argument("--profile", metavar="NAME", help="scanner profile (scanner_profiles/NAME.toml)")
    watch.add_argument("--once", action="store_true", help="send what is in DIR now, then exit")
    watch.add_argument("--interval", type=float, default=1.0, metavar="SECONDS", help="folder poll interval")
    watch.add_argument("--give-up-after", type=float, metavar="SECONDS",
                       help="with --once: stop retrying after this long without the server (exit 1)")
    watch.set_defaults(handler=run_watch)

    worker = subparsers.add_parser("worker", help="read queued scans (run beside the web server)")
    worker.add_argument("--once", action="store_true", help="process the queue, then exit")
    worker.add_argument("--interval", type=float, default=0.25, metavar="SECONDS", help="queue poll interval")
    worker.add_argument("--take-over-claims", action="store_true",
                        help="the only worker of this database: retake files a dead worker left half-read "
                             "at once (`kiemphieu run` passes it on SQLite)")
    worker.set_defaults(handler=run_worker)

    run = subparsers.add_parser(
        "run", help="serve the web app (gunicorn) and the scan worker, supervised (scripts/start)",
        description="Runs gunicorn and the scan worker as sibling processes, restarts either within seconds "
                    "if it dies, stops stale ones left by a crash (pidfiles in instance/run/) and stops "
                    "everything on Ctrl+C or SIGTERM.",
    )
    run.add_argument("--host", default="0.0.0.0", help="address to listen on (default: the whole LAN)")
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")),
                     metavar="N", help="gunicorn worker processes")
    run.add_argument("--no-worker", action="store_true", default=bool(os.environ.get("KIEMPHIEU_NO_WORKER")),
                     help="no scan worker here (another machine runs it; also KIEMPHIEU_NO_WORKER=1)")
    run.add_argument("--port-wait", type=float, default=60.0, metavar="SECONDS",
                     help="how long to retry while another process still holds the port")
    run.set_defaults(handler=run_supervised)


def run_watch(args) -> int:
    from pathlib import Path

    from kiemphieu.scanning.station import AuthFailed, ServerAway, Station, StationClient

    directory = Path(args.directory)
    if not directory.is_dir():
        print(f"kiemphieu scan watch: {directory}: không phải thư mục", file=sys.stderr)
        return 2
    password = args.password or os.environ.get("KIEMPHIEU_PASSWORD")
    if args.user and not password and not args.token:
        password = getpass.getpass(f"Mật khẩu của {args.user}: ")
    if not args.token and not args.user:
        print("kiemphieu scan watch: cần --user (và mật khẩu) hoặc --token", file=sys.stderr)
        return 2
    client = StationClient(args.server, args.round, user=args.user, password=password, token=args.token)
    station = Station(directory, client, profile=args.profile, interval=args.interval,
                      give_up_after=args.give_up_after, out=lambda line: print(line, flush=True), progress=True)
    try:
        counts = station.run(once=args.once)
    except AuthFailed as exc:
        print(f"kiemphieu scan watch: {exc}", file=sys.stderr)
        return 2
    except ServerAway as exc:
        print(f"kiemphieu scan watch: {exc}; các ảnh chưa gửi sẽ được gửi ở lần chạy sau", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    print(f"Đã gửi {counts['sent']}, đã có {counts['known']}, bị từ chối {counts['refused']}, "
          f"bỏ qua {counts['skipped']}.")
    return 0


def run_worker(args) -> int:
    from kiemphieu import create_app, heartbeat
    from kiemphieu.worker import run_forever, run_once

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s worker %(levelname)s %(message)s")
    logging.getLogger("kiemphieu").setLevel(logging.INFO)  # our own progress, not alembic's
    app = create_app()
    with app.app_context():
        if args.once:
            done = run_once()
            print(f"kiemphieu worker: đã đọc {done} trang.")
        else:
            from kiemphieu.supervisor import run_folder

            take_over = args.take_over_claims and app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
            run_forever(args.interval, take_over_claims=take_over, beat_folder=run_folder(Path(app.instance_path)),
                        shared_beat_folder=heartbeat.shared_folder(app.config["UPLOAD_FOLDER"]))
    return 0


def run_supervised(args) -> int:
    from kiemphieu.config import instance_path
    from kiemphieu.supervisor import Supervisor, SupervisorError

    supervisor = Supervisor(instance_path(None), host=args.host, port=args.port, web_workers=args.web_workers,
                            with_worker=not args.no_worker, port_wait=args.port_wait,
                            out=lambda line: print(line, file=sys.stderr, flush=True))
    try:
        return supervisor.run()
    except SupervisorError as exc:
        print(f"kiemphieu run: {exc}", file=sys.stderr)
        return 1
