"""A private SMTP server for Usher's tests, built on Debian's aiosmtpd.

Two uses:

* as a handler class for aiosmtpd's own command line:
    python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c usher_smtpd.Store DIR
* standalone, for what that command line cannot do (AUTH, implicit TLS):
    python3 usher_smtpd.py --port PORT --dir DIR --mode {plain,starttls,tls}
        [--cert FILE --key FILE] [--user U --password P] [--exclude-auth MECH]

With --user, AUTH is required; in plain mode it is then offered over the
unencrypted connection, so that tests can check that clients refuse it.

Every accepted message is written to DIR/NNNNNN.json, atomically, before
the server answers 250, as {"mail_from", "rcpt_tos", "login", "tls", "data"}.
"""

import argparse
import asyncio
import itertools
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    """Writes each message as JSON into a directory."""

    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("usher_smtpd.Store takes one argument: the directory")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        content = envelope.content
        if isinstance(content, bytes):
            content = content.decode("utf-8", errors="surrogateescape")
        login = None
        if session.auth_data is not None and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", errors="replace")
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "login": login,
            "tls": session.ssl is not None,
            "data": content.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace"),
        }
        with self.lock:
            n = next(self.counter)
        path = os.path.join(self.directory, "%06d.json" % n)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 OK stored"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        if ok:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)
    return check


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--mode", choices=["plain", "starttls", "tls"], default="plain")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password", default="")
    p.add_argument("--exclude-auth", action="append", default=[],
                   help="an AUTH mechanism not to offer (PLAIN, LOGIN); repeatable")
    a = p.parse_args()

    kwargs = {}
    ssl_context = None
    if a.mode != "plain":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        if a.mode == "tls":
            ssl_context = ctx
        else:
            kwargs["tls_context"] = ctx
            kwargs["require_starttls"] = True
    if a.user:
        kwargs["authenticator"] = authenticator(a.user, a.password)
        kwargs["auth_required"] = True
        kwargs["auth_exclude_mechanism"] = a.exclude_auth
        # With implicit TLS aiosmtpd does not know the session is encrypted;
        # in plain mode the tests want AUTH offered in plain text.
        kwargs["auth_require_tls"] = a.mode == "starttls"
    controller = Controller(Store(a.dir), hostname="127.0.0.1", port=a.port,
                            ssl_context=ssl_context, **kwargs)
    controller.start()
    print("READY", a.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        # Also stop when the parent test process goes away (stdin closes).
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
