"""The web app's commands: serve, db-upgrade, demo, user create/passwd/list, audit-check."""

from __future__ import annotations

import getpass
import os
import socket
import sys

ROLES = ("admin", "organiser", "counter", "viewer")


def register(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="run the web app with Flask's development server")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: the whole LAN)")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--debug", action="store_true", help="reload on code changes, show tracebacks")
    serve.set_defaults(handler=run_serve)

    upgrade = subparsers.add_parser("db-upgrade", help="create or migrate the database (safe to repeat)")
    upgrade.set_defaults(handler=run_db_upgrade)

    demo = subparsers.add_parser("demo", help="load the demo congress with ballots (once)")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when any congress exists")
    demo.set_defaults(handler=run_demo)

    user = subparsers.add_parser("user", help="manage logins")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    create = user_commands.add_parser("create", help="create a login")
    create.add_argument("username")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--password", help="omit to be asked (not echoed)")
    create.add_argument("--full-name", default="")
    create.set_defaults(handler=run_user_create)
    passwd = user_commands.add_parser("passwd", help="set a login's password (ends its sessions)")
    passwd.add_argument("username")
    passwd.add_argument("--password", help="omit to be asked (not echoed)")
    passwd.set_defaults(handler=run_user_passwd)
    listing = user_commands.add_parser("list", help="list logins")
    listing.set_defaults(handler=run_user_list)

    check = subparsers.add_parser(
        "audit-check", help="verify the audit chains, every ballot row and every result digest against them")
    check.add_argument("--congress", type=int, help="only this congress (its chain, ballots and versions)")
    check.add_argument("--anchor", metavar="SEQ:HASH",
                       help="the audit head printed on a minutes (needs --congress): entry SEQ must still have HASH")
    check.set_defaults(handler=run_audit_check)


def _app():
    from kiemphieu import create_app

    return create_app()


def lan_url(port: int) -> str:
    """The address other machines on the LAN can open (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET address: only picks the outgoing interface
            host = probe.getsockname()[0]
    except OSError:
        host = "127.0.0.1"
    return f"http://{host}:{port}/"


def run_serve(args) -> int:
    app = _app()
    print(f"kiemphieu: {lan_url(args.port) if args.host == '0.0.0.0' else f'http://{args.host}:{args.port}/'}")
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


def run_db_upgrade(args) -> int:
    from flask_migrate import upgrade

    app = _app()
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    print("kiemphieu db-upgrade: cơ sở dữ liệu đã ở phiên bản mới nhất.")
    return 0


def run_demo(args) -> int:
    from kiemphieu.demo import load_demo

    app = _app()
    with app.app_context():
        result = load_demo(if_empty=args.if_empty)
        print(f"kiemphieu demo: {result.message}")
        if result.passwords:
            print("Tài khoản đăng nhập (mật khẩu chỉ hiện MỘT lần, hãy ghi lại):")
            for username, password in result.passwords.items():
                print(f"  {username:<12} {password}")
        print(f"Mở trình duyệt: {lan_url(int(os.environ.get('PORT', '8000')))}")
    return 0


def run_user_create(args) -> int:
    from kiemphieu.auth.services import UserError, create_user

    password = args.password if args.password is not None else _ask_password("user create")
    if password is None:
        return 2
    app = _app()
    with app.app_context():
        try:
            user = create_user(args.username, password, args.role, full_name=args.full_name)
        except UserError as exc:
            print(f"kiemphieu user create: {exc}", file=sys.stderr)
            return 2
        print(f"Đã tạo người dùng {user.username} ({user.role}).")
    return 0


def _ask_password(command: str) -> str | None:
    password = getpass.getpass("Mật khẩu: ")
    if getpass.getpass("Nhập lại mật khẩu: ") != password:
        print(f"kiemphieu {command}: hai lần nhập mật khẩu không khớp.", file=sys.stderr)
        return None
    return password


def run_user_passwd(args) -> int:
    from sqlalchemy import select

    from kiemphieu.auth.services import UserError, set_password
    from kiemphieu.extensions import db
    from kiemphieu.models import User

    password = args.password if args.password is not None else _ask_password("user passwd")
    if password is None:
        return 2
    app = _app()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == args.username.strip()))
        if user is None:
            print(f"kiemphieu user passwd: không có người dùng “{args.username}”.", file=sys.stderr)
            return 2
        try:
            set_password(user, password)
        except UserError as exc:
            print(f"kiemphieu user passwd: {exc}", file=sys.stderr)
            return 2
        print(f"Đã đặt mật khẩu mới cho {user.username}; các phiên đăng nhập cũ đã hết hiệu lực.")
    return 0


def run_user_list(args) -> int:
    from sqlalchemy import select

    from kiemphieu.extensions import db
    from kiemphieu.models import User

    app = _app()
    with app.app_context():
        for user in db.session.scalars(select(User).order_by(User.username)):
            scoped = ", ".join(f"{a.congress_id}:{a.role}" for a in user.assignments)
            state = "" if user.active else " (khóa)"
            print(f"{user.username:<16} {user.role:<10}{state} {scoped}")
    return 0


def _parse_anchor(text: str) -> tuple[int, str] | None:
    seq, _, hash_ = text.partition(":")
    if not seq.isdigit() or len(hash_) != 64:
        return None
    return int(seq), hash_.lower()


def run_audit_check(args) -> int:
    """Per congress: chain and head record, every ballot row, every stored digest; then the system chain."""
    from kiemphieu.audit import SYSTEM_CHAIN
    from kiemphieu.audit.chain import verify_one_chain
    from kiemphieu.audit.check import check_congress, congress_ids

    anchor = None
    if args.anchor:
        anchor = _parse_anchor(args.anchor)
        if anchor is None or args.congress is None:
            print("--anchor cần dạng SỐ:MÃ (64 ký tự hex) và --congress.", file=sys.stderr)
            return 2
    app = _app()
    failures, entries, ballots = 0, 0, 0
    with app.app_context():
        for congress_id in [args.congress] if args.congress is not None else congress_ids():
            result = check_congress(congress_id, anchor)
            entries += result.chain.entries
            ballots += result.ballots.checked
            if result.ok:
                print(f"Đại hội {congress_id}: {result.chain.entries} mục nhật ký, {result.ballots.checked} phiếu, "
                      f"{len(result.versions)} phiên bản kết quả: khớp.")
                continue
            failures += 1
            for line in result.problems():
                print(f"Đại hội {congress_id}: {line}", file=sys.stderr)
        if args.congress is None:
            system = verify_one_chain(SYSTEM_CHAIN)
            entries += system.entries
            if not system.ok:
                failures += 1
                print(f"Chuỗi hệ thống: {system.problem} (mục id {system.first_bad_id})", file=sys.stderr)
    if failures:
        print(f"Nhật ký bị phá vỡ: {failures} chuỗi có lỗi.", file=sys.stderr)
        return 1
    print(f"Nhật ký toàn vẹn: {entries} mục, {ballots} phiếu đã đối chiếu.")
    return 0
