#!/usr/bin/env python3
"""A real SMTP server on 127.0.0.1 for the email tests (aiosmtpd), started by tests/common/smtp.rs.

It listens on a free port and prints `PORT <n>` on stdout once it accepts connections. Every
message it accepts is written to DIR/<n>.json: the envelope, the headers people read, the
text/plain and text/html parts (decoded), and the login that authenticated the session.

  --refuse ADDR      answer RCPT TO ADDR with 550 (repeatable)
  --tempfail N       answer the first N DATA commands with 451
  --login USER:PASS  offer AUTH (PLAIN, LOGIN) and require it (over plain loopback, unless
                     --cert is given: then only after STARTTLS)
  --cert PEM --key PEM  offer STARTTLS with this certificate and require it before MAIL
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import ssl
import sys

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError:
    sys.stderr.write("aiosmtpd is missing: pip install aiosmtpd (.ci/run installs it)\n")
    sys.exit(3)


class Handler:
    def __init__(self, out_dir, refuse, tempfail):
        self.out_dir = out_dir
        self.refuse = {a.lower() for a in refuse}
        self.tempfail = tempfail
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail > 0:
            self.tempfail -= 1
            return "451 4.3.0 Try again later"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        plain = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        login = session.auth_data
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "message_id": str(msg["Message-ID"]),
            "date": str(msg["Date"]),
            "text": plain.get_content() if plain else None,
            "html": html.get_content() if html else None,
            "tls": session.ssl is not None,
            "auth_login": login.login.decode() if isinstance(login, LoginPassword) else None,
            "auth_password": login.password.decode() if isinstance(login, LoginPassword) else None,
        }
        self.count += 1
        path = os.path.join(self.out_dir, f"{self.count:04}.json")
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.replace(path + ".tmp", path)
        return "250 2.0.0 Message accepted"


def authenticator(expected):
    def check(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            given = (auth_data.login.decode(), auth_data.password.decode())
            if given == expected:
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    return check


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--tempfail", type=int, default=0)
    parser.add_argument("--login")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    tls = {}
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        tls = {"tls_context": context, "require_starttls": True}
    handler = Handler(args.dir, args.refuse, args.tempfail)

    def protocol():
        if args.login:
            user, _, password = args.login.partition(":")
            return SMTP(
                handler,
                authenticator=authenticator((user, password)),
                auth_required=True,
                auth_require_tls=bool(tls),
                **tls,
            )
        return SMTP(handler, **tls)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(protocol, host="127.0.0.1", port=0)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    # Until the test kills it or closes stdin.
    await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
