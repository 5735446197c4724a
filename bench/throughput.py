"""Throughput under gunicorn: requests/s and p50/p95/p99 with wrk on loopback, app vs floor.

    .venv/bin/python bench/throughput.py --database-url URL [--workers 2] [--seconds 10]
                                         [--connections 8]

Starts ``gunicorn --workers N 'ethics_cases:create_app()'`` on the given (demo-filled) database
and a second gunicorn with the same worker count serving ``bench/pages.py``'s bare Flask floor
(Core SQL + Jinja, no sign-in, no CSRF, no security headers), then runs ``wrk`` against:

* the public Code page ``/code`` vs a bare Jinja page of the same size (``/plain``);
* the public register look-up ``/public-register?q=<a name>`` (if installed) vs the same floor;
* the committee's queue (signed in as the chair with a session cookie) vs the floor's queue
  (the same three statements and the rows rendered by Jinja).

Needs ``wrk`` (``apt-get install wrk``). Rate limits are switched off in the app under test
(one client address here); everything else is the production configuration.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.2f %.2f %.2f %d %d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""

FLOOR_MODULE = '''
import os, sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
from flask import render_template_string
from pages import floor_app

app = floor_app(os.environ["BENCH_DATABASE_URL"])
PARAGRAPHS = ["Members will respect the confidentiality of their clients' information, "
              "except as required by law, and will agree clearly how it is kept."] * {n}

@app.get("/plain")
def plain():
    return render_template_string("<!doctype html><html><body><main><h1>Code</h1>"
        "{{% for p in paragraphs %}}<section><h2>Clause {{{{ loop.index }}}}</h2>"
        "<p>{{{{ p }}}}</p></section>{{% endfor %}}</main></body></html>",
        paragraphs=PARAGRAPHS)
'''


def start(args: list[str], env: dict[str, str], port: int, path: str,
          log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *args, "--bind", f"127.0.0.1:{port}"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5):
                return process
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn on {port} did not start: {log.read_text()[-2000:]}")


def wrk(url: str, seconds: int, connections: int, script: Path,
        cookie: str | None = None) -> tuple[float, float, float, float, int, int]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (\S+) (\S+) (\S+) (\S+) (\d+) (\d+)", output)
    if match is None:
        raise SystemExit(output)
    rps, p50, p95, p99, bad_status, socket_errors = match.groups()
    return float(rps), float(p50), float(p95), float(p99), int(bad_status), int(socket_errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")

    from ethics_cases import create_app
    from ethics_cases.extensions import db

    secret = "bench-secret-key-0123456789-0123456789"  # noqa: S105 - a local benchmark
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": secret})
    with app.app_context():
        from sqlalchemy import select

        from ethics_cases.accounts.models import Member, User, UserRole

        chair = db.session.scalar(select(User).join(UserRole).where(UserRole.role == "chair")
                                  .limit(1))
        name = db.session.scalar(select(Member.full_name).order_by(Member.id).limit(1))
        session = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
            {"_user_id": chair.get_id(), "_fresh": True})
    cookie = f"session={session}"
    queue = "/workspace/" if "workspace.queue" in app.view_functions else "/cases/"
    surname = (name or "Smith").split()[-1]

    work = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    script = work / "report.lua"
    script.write_text(LUA)
    (work / "floor_wsgi.py").write_text(FLOOR_MODULE.format(
        root=str(ROOT), bench=str(ROOT / "bench"), n=120))
    env = {**os.environ, "ETHICS_CASES_DATABASE_URL": args.database_url,
           "ETHICS_CASES_SECRET_KEY": secret, "ETHICS_CASES_RATELIMIT_ENABLED": "false",
           "ETHICS_CASES_ENV_NAME": "development", "BENCH_DATABASE_URL": args.database_url,
           "PYTHONPATH": f"{work}:{ROOT}"}
    common = ["--workers", str(args.workers), "--log-level", "warning"]
    processes = [
        start([*common, "ethics_cases:create_app()"], env, 8101, "/code", work / "app.log"),
        start([*common, "floor_wsgi:app"], env, 8102, "/plain", work / "floor.log"),
    ]
    try:
        rows = [("Code page", "http://127.0.0.1:8101/code", None,
                 "http://127.0.0.1:8102/plain")]
        if "register.index" in app.view_functions:
            rows.append(("register look-up", f"http://127.0.0.1:8101/public-register?q={surname}",
                         None, "http://127.0.0.1:8102/plain"))
        rows.append(("queue (signed in)", f"http://127.0.0.1:8101{queue}?state=awaiting_response",
                     cookie, "http://127.0.0.1:8102/cases/?state=awaiting_response"))
        print(f"gunicorn {args.workers} workers each; wrk -t2 -c{args.connections} "
              f"-d{args.seconds}s on loopback")
        print("| page | app req/s | p50 / p95 / p99 ms | floor req/s | p50 / p95 / p99 ms "
              "| app/floor throughput | errors |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, url, cookie_header, floor_url in rows:
            ours = wrk(url, args.seconds, args.connections, script, cookie_header)
            floor = wrk(floor_url, args.seconds, args.connections, script)
            print(f"| {label} | {ours[0]:.0f} | {ours[1]:.0f} / {ours[2]:.0f} / {ours[3]:.0f} | "
                  f"{floor[0]:.0f} | {floor[1]:.0f} / {floor[2]:.0f} / {floor[3]:.0f} | "
                  f"{ours[0] / floor[0]:.2f} | {ours[4]} non-2xx/3xx, {ours[5]} socket |")
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
