"""``python -m cos_web.server``: flags → ServerConfig → run_server, with clear failures."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import os
import sys

from .fault_wire import ADMIN_PATH, check_rules, is_loopback
from .faults import FaultRuleError
from .state import DEFAULT_REGION, DEMO_BUCKET, OWNER_KEY_FILE, NetworkExposure, ServerConfig, owner_key
from .storage import DataDirBusy


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cos_web.server",
                                description="A local Tencent Cloud COS (XML API) server.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9000, help="port, 0 picks a free one (default 9000)")
    p.add_argument("--data-dir", default=".cos-data", help="where objects and metadata live (default .cos-data)")
    p.add_argument("--secret-id", help=f"SecretId requests are signed with (default: a random pair made once for "
                                       f"the data dir, kept 0600 in DATA_DIR/{OWNER_KEY_FILE})")
    p.add_argument("--secret-key", help="SecretKey requests are signed with (give both or neither)")
    p.add_argument("--bucket", action="append", metavar="NAME-APPID",
                   help=f"bucket to create with CORS open to every origin (repeatable; default {DEMO_BUCKET})")
    p.add_argument("--region", default=DEFAULT_REGION, help=f"region of --bucket buckets (default {DEFAULT_REGION})")
    p.add_argument("--owner-uin", default="100000000001", help="account UIN shown as bucket and object owner")
    p.add_argument("--no-fsync", action="store_true", help="skip fsync (faster, not crash-safe)")
    p.add_argument("--quiet", action="store_true", help="no per-request log lines on stderr")
    p.add_argument("--idle-timeout", type=_positive, default=30.0, metavar="SECONDS",
                   help="close a connection that sends no whole request head for this long: idle keep-alive, "
                        "trickled headers, silent sockets (default 30)")
    p.add_argument("--body-timeout", type=_positive, default=60.0, metavar="SECONDS",
                   help="cut off a request body, or a download the client does not read, that makes no progress "
                        "for this long (default 60)")
    p.add_argument("--max-uploads", type=int, default=64, metavar="N",
                   help="request bodies stored at once; more get 503 SlowDown (default 64)")
    p.add_argument("--allow-network", action="store_true",
                   help="listen beyond loopback although a bucket's CORS rule lets every origin in (the --bucket "
                        "buckets' does); without it that is refused")
    p.add_argument("--multipart-ttl", type=_duration, default=7 * 86400.0, metavar="DURATION",
                   help="abort incomplete multipart uploads initiated longer ago than this: seconds, or with "
                        "s/m/h/d (default 7d; 0: never), like COS's AbortIncompleteMultipartUpload")
    p.add_argument("--restore-delay", type=_duration, default=0.0, metavar="DURATION",
                   help="how long a restore of an ARCHIVE/DEEP_ARCHIVE object takes before its copy is readable "
                        "(x-cos-restore: ongoing-request=\"true\" meanwhile): seconds, or with s/m/h/d (default 0)")
    p.add_argument("--lifecycle-interval", type=_duration, default=3600.0, metavar="DURATION",
                   help="how often the buckets' lifecycle rules are applied: seconds, or with s/m/h/d "
                        "(default 1h; 0: only when asked through /_cos_web/lifecycle, with --faults-admin)")
    p.add_argument("--faults", metavar="RULES",
                   help="inject faults (testing; loopback --host only): rules like "
                        "'op=part part=2 nth=1 action=status:503', ';' between rules (docs/reliability.md); "
                        "also turns on the loopback-only admin endpoint " + ADMIN_PATH)
    p.add_argument("--faults-admin", action="store_true",
                   help="fault injection with no rules yet, set at run time through " + ADMIN_PATH)
    return p


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _duration(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], units[text[-1]]) if text[-1:] in units else (text, 1)
    try:
        value = float(number) * unit
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 3600, 90m, 12h, 7d)") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _faults(p: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The --faults rules (checked here, so a typo fails at start), "" for --faults-admin, None when off."""
    if args.faults is None and not args.faults_admin:
        return None
    if not _loopback_host(args.host):
        p.error(f"--faults/--faults-admin need a loopback --host (127.0.0.1, ::1, localhost), not {args.host!r}")
    try:
        check_rules(args.faults or "")
    except FaultRuleError as exc:
        p.error(f"--faults: {exc}")
    return args.faults or ""


def _loopback_host(host: str) -> bool:
    return host == "localhost" or is_loopback(host)


def config_from_args(argv: list[str] | None = None) -> ServerConfig:
    p = parser()
    args = p.parse_args(argv)
    if bool(args.secret_id) != bool(args.secret_key):
        p.error("give both --secret-id and --secret-key, or neither (a random pair for the data dir)")
    return ServerConfig(
        host=args.host, port=args.port, data_dir=args.data_dir, secret_id=args.secret_id,
        secret_key=args.secret_key, buckets=args.bucket if args.bucket is not None else [DEMO_BUCKET],
        region=args.region, owner_uin=args.owner_uin, quiet=args.quiet, durable=not args.no_fsync,
        idle_timeout=args.idle_timeout, body_timeout=args.body_timeout, max_uploads=max(1, args.max_uploads),
        faults=_faults(p, args), allow_network=args.allow_network, multipart_ttl=args.multipart_ttl,
        restore_delay=args.restore_delay, lifecycle_interval=args.lifecycle_interval,
    )


def main(argv: list[str] | None = None) -> int:
    from .runner import run_server

    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["sts"]:  # python -m cos_web.server sts ...: print temporary keys
        from .sts import main as sts_main

        return sts_main(arguments[1:])
    config = config_from_args(argv)
    try:
        os.makedirs(config.data_dir, exist_ok=True)
        probe = os.path.join(config.data_dir, ".write-test")
        with open(probe, "w") as fh:
            fh.write("ok")
        os.unlink(probe)
    except OSError as exc:
        print(f"cos_web.server: data dir {config.data_dir!r} is not writable: {exc.strerror}", file=sys.stderr)
        return 2
    where = ""
    if not config.secret_id:
        secret_id, secret_key = owner_key(config.data_dir)
        config = dataclasses.replace(config, secret_id=secret_id, secret_key=secret_key)
        where = f" (SecretKey in {os.path.join(os.path.abspath(config.data_dir), OWNER_KEY_FILE)})"
    if not config.quiet:
        print(f"cos_web.server: data dir {os.path.abspath(config.data_dir)}, SecretId {config.secret_id}{where}, "
              f"buckets {', '.join(config.buckets) or '-'} ({config.region})", file=sys.stderr, flush=True)
    try:
        run_server(config)
    except (DataDirBusy, NetworkExposure) as exc:
        print(f"cos_web.server: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"cos_web.server: port {config.port} on {config.host} is already in use", file=sys.stderr)
        else:
            print(f"cos_web.server: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
