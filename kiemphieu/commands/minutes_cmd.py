"""`kiemphieu minutes` (contract section 5), `kiemphieu verify` and `kiemphieu minutes-summary`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "minutes", help="write the vote-count minutes (Biên bản kiểm phiếu) of one round as PDF/A-3b")
    parser.add_argument("election", help="election JSON (kiemphieu/election-1)")
    parser.add_argument("ballots", help="ballots, JSON Lines, one ballot a line")
    parser.add_argument("--out", required=True, help="the PDF to write")
    _add_render_options(parser)
    parser.add_argument("--ended-at", metavar="HH:MM", help="time counting ended (dots to fill in otherwise)")
    _add_signing_options(parser)
    parser.set_defaults(handler=run_minutes)

    parser = subparsers.add_parser(
        "verify", help="check a minutes PDF: recount its attached ballots, compare every figure and the digest")
    parser.add_argument("pdf", help="minutes or entry-log PDF written by `kiemphieu minutes` or the web app")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--trust-root", action="append", default=[], metavar="CERT",
                        help="a CA certificate (PEM/DER) the signer's certificate must chain to (repeatable)")
    parser.set_defaults(handler=run_verify)

    parser = subparsers.add_parser(
        "sign", help="add a PAdES signature to a minutes or entry-log PDF (incremental: attachments kept)")
    parser.add_argument("pdf", help="the PDF to sign")
    parser.add_argument("--out", required=True, help="the signed PDF to write")
    _add_signing_options(parser, required=True)
    parser.set_defaults(handler=run_sign)

    parser = subparsers.add_parser(
        "minutes-summary", help="one PDF with every election and round of a congress, for the presidium")
    parser.add_argument("files", nargs="+", metavar="ELECTION BALLOTS",
                        help="pairs of election JSON and ballots JSON Lines, in the order held")
    parser.add_argument("--out", required=True, help="the PDF to write")
    parser.add_argument("--congress", help="congress name (default: from the first election)")
    parser.add_argument("--organization", help="Party organisation (default: from the first election)")
    parser.add_argument("--draft", action="store_true", help="watermark every page as a draft")
    parser.set_defaults(handler=run_summary)


def _add_render_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verify-url-base", metavar="URL",
                        help="the web app's address for the QR code (default http://kiemphieu.local)")
    parser.add_argument("--draft", action="store_true",
                        help="watermark every page 'BẢN NHÁP — CHƯA KẾT THÚC' (round not finalised)")


def _add_signing_options(parser: argparse.ArgumentParser, required: bool = False) -> None:
    group = parser.add_argument_group(
        "signing" + ("" if required else " (optional)"),
        "a PKCS#12 file (password from KIEMPHIEU_SIGN_PASSWORD or asked) or a PKCS#11 token "
        "(PIN from KIEMPHIEU_SIGN_PIN or asked)")
    group.add_argument("--sign-p12", metavar="FILE", help="sign with the key and certificate of this PKCS#12 file")
    group.add_argument("--sign-pkcs11-lib", metavar="LIB", help="sign with a token through this PKCS#11 module")
    group.add_argument("--sign-token", metavar="LABEL", help="the token's label")
    group.add_argument("--sign-key", metavar="LABEL", help="the key's label on the token")
    group.add_argument("--sign-cert", metavar="LABEL", help="the certificate's label (default: the key's)")
    group.add_argument("--sign-reason", default="Xác nhận biên bản kiểm phiếu", help="reason stored in the signature")
    group.add_argument("--sign-location", help="place stored in the signature")


def _secret(variable: str, prompt: str) -> str | None:
    import getpass
    import os

    if os.environ.get(variable) is not None:
        return os.environ[variable]
    return getpass.getpass(prompt) if sys.stdin.isatty() else None


def _signing_key(args):
    """The key the options name, or None when they name none."""
    from kiemphieu.minutes.signing import SigningKey

    if args.sign_p12:
        password = _secret("KIEMPHIEU_SIGN_PASSWORD", f"Mật khẩu của {args.sign_p12}: ")
        return SigningKey(p12=Path(args.sign_p12), password=password.encode() if password else None)
    if args.sign_pkcs11_lib:
        return SigningKey(pkcs11_lib=args.sign_pkcs11_lib, token_label=args.sign_token, key_label=args.sign_key,
                          cert_label=args.sign_cert, pin=_secret("KIEMPHIEU_SIGN_PIN", "Mã PIN của thiết bị ký: "))
    return None


def _sign(data: bytes, key, args, command: str) -> bytes | None:
    from kiemphieu.minutes.signing import SigningError, sign_pdf

    try:
        return sign_pdf(data, key, reason=args.sign_reason, location=args.sign_location)
    except SigningError as exc:
        print(f"kiemphieu {command}: cannot sign: {exc}", file=sys.stderr)
        return None


def _load_round(election_path: str, ballots_path: str):
    """Election, ballots and the optional exclusion reasons; InputError on bad input."""
    from kiemphieu.minutes import load_exclusions
    from kiemphieu.tally import load_ballots, load_election
    from kiemphieu.tally.io import read_text

    election = load_election(election_path)
    ballots = load_ballots(ballots_path, election)
    exclusions = load_exclusions(read_text(election_path), election_path, election.excluded)
    return election, ballots, exclusions


def _write(path: str, data: bytes, command: str) -> int:
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        print(f"kiemphieu {command}: {path}: cannot write: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


def run_minutes(args) -> int:
    from kiemphieu.minutes import render_minutes_full
    from kiemphieu.minutes.formatting import parse_clock
    from kiemphieu.tally import InputError

    if args.ended_at:
        try:
            parse_clock(args.ended_at)
        except ValueError as exc:
            print(f"kiemphieu minutes: --ended-at: {exc}", file=sys.stderr)
            return 2
    try:
        election, ballots, exclusions = _load_round(args.election, args.ballots)
    except InputError as exc:
        print(f"kiemphieu minutes: {exc}", file=sys.stderr)
        return 2
    rendered = render_minutes_full(
        election, ballots, verify_url_base=args.verify_url_base, ended_at=args.ended_at,
        draft=args.draft, exclusions=exclusions,
    )
    pdf = rendered.pdf
    key = _signing_key(args)
    if key is not None:
        pdf = _sign(pdf, key, args, "minutes")
        if pdf is None:
            return 2
    status = _write(args.out, pdf, "minutes")
    if status == 0:
        print(f"{args.out}: {rendered.result.counted} phiếu, digest {rendered.digest}", file=sys.stderr)
    return status


def run_verify(args) -> int:
    import json

    from kiemphieu.minutes import UnreadableMinutes, verify_document

    try:
        data = Path(args.pdf).read_bytes()
    except OSError as exc:
        print(f"kiemphieu verify: {args.pdf}: cannot read: {exc.strerror}", file=sys.stderr)
        return 2
    trust_roots = None
    if args.trust_root:
        from kiemphieu.minutes.signing import load_certificates

        try:
            trust_roots = load_certificates(args.trust_root)
        except (OSError, ValueError) as exc:
            print(f"kiemphieu verify: --trust-root: {exc}", file=sys.stderr)
            return 2
    try:
        report = verify_document(data, trust_roots)
    except UnreadableMinutes as exc:
        print(f"kiemphieu verify: {args.pdf}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(report.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"Kiểm tra biên bản / verifying {args.pdf}")
        print(report.text())
    return 0 if report.ok else 1


def run_sign(args) -> int:
    key = _signing_key(args)
    if key is None:
        print("kiemphieu sign: give --sign-p12 FILE or --sign-pkcs11-lib LIB", file=sys.stderr)
        return 2
    try:
        data = Path(args.pdf).read_bytes()
    except OSError as exc:
        print(f"kiemphieu sign: {args.pdf}: cannot read: {exc.strerror}", file=sys.stderr)
        return 2
    signed = _sign(data, key, args, "sign")
    if signed is None:
        return 2
    status = _write(args.out, signed, "sign")
    if status == 0:
        print(f"{args.out}: đã ký / signed", file=sys.stderr)
    return status


def run_summary(args) -> int:
    from kiemphieu.minutes import render_congress_summary
    from kiemphieu.tally import InputError, round_digest, tally

    if len(args.files) % 2:
        print("kiemphieu minutes-summary: give files in pairs: ELECTION BALLOTS [ELECTION BALLOTS ...]",
              file=sys.stderr)
        return 2
    rounds, digests = [], []
    try:
        for election_path, ballots_path in zip(args.files[::2], args.files[1::2]):
            election, ballots, _ = _load_round(election_path, ballots_path)
            result = tally(election, ballots)
            rounds.append((election, result))
            digests.append(round_digest(election, ballots, result))
    except InputError as exc:
        print(f"kiemphieu minutes-summary: {exc}", file=sys.stderr)
        return 2
    first = rounds[0][0]
    pdf = render_congress_summary(
        args.congress or first.congress, args.organization or first.organization, rounds,
        digests=digests, draft=args.draft,
    )
    return _write(args.out, pdf, "minutes-summary")
