"""A real SMTP server for the notification tests (aiosmtpd), on 127.0.0.1.

usage: smtp_server.py MODE CERT KEY USER PASSWORD OUTDIR PORTFILE
MODE is starttls (plain connect, STARTTLS required before AUTH and MAIL) or implicit (TLS from
the first byte). AUTH is required. Each accepted message is written to OUTDIR as N.eml with its
envelope on the first lines; the chosen port is written to PORTFILE once the server listens.
The server stops when its stdin closes (the test holds it open).
"""
import os
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

mode, cert, key, user, password, outdir, portfile = sys.argv[1:8]

ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)


class Handler:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        path = os.path.join(outdir, f"{Handler.count}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(b"X-Envelope-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(b"X-Auth-User: " + (session.auth_data.login if session.auth_data else b"") + b"\r\n")
            tls = server.transport.get_extra_info("ssl_object") is not None or bool(session.ssl)
            f.write(b"X-Tls: " + (b"yes" if tls else b"no") + b"\r\n")
            f.write(envelope.original_content)
        os.replace(path + ".tmp", path)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    if auth_data.login == user.encode() and auth_data.password == password.encode():
        return AuthResult(success=True, auth_data=auth_data)
    return AuthResult(success=False, handled=False)


s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()

common = dict(authenticator=authenticator, auth_required=True)
if mode == "starttls":
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True, auth_require_tls=True, **common
    )
else:
    # The whole connection is TLS; aiosmtpd only knows STARTTLS as "TLS" for auth_require_tls.
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, ssl_context=ctx, auth_require_tls=False, **common)
controller.start()
with open(portfile + ".tmp", "w") as f:
    f.write(str(port))
os.replace(portfile + ".tmp", portfile)
sys.stdin.read()
controller.stop()
