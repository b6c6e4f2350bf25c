"""A real SMTP server for the notification tests: aiosmtpd on loopback that requires STARTTLS
(on a certificate from a throwaway test authority made with trustme) and writes every message
it accepts to DIR as <n>.eml. Prints one line, `READY <port> <ca file>`, once it listens.

    python test_server.py DIR [--refuse]

--refuse answers every RCPT with 550 (a permanent refusal)."""

import pathlib
import signal
import socket
import ssl
import sys

import trustme
from aiosmtpd.controller import Controller


class Saver:
    def __init__(self, directory: pathlib.Path, refuse: bool):
        self.directory = directory
        self.refuse = refuse
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = self.directory / f"{self.count}.eml"
        tmp = path.with_suffix(".tmp")
        header = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {','.join(envelope.rcpt_tos)}\r\nX-Tls: {session.ssl is not None}\r\n"
        tmp.write_bytes(header.encode() + envelope.original_content)
        tmp.rename(path)
        return "250 Message accepted for delivery"


def main() -> None:
    directory = pathlib.Path(sys.argv[1])
    directory.mkdir(parents=True, exist_ok=True)
    refuse = "--refuse" in sys.argv[2:]
    ca = trustme.CA()
    server_cert = ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(context)
    ca_file = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        Saver(directory, refuse),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        auth_require_tls=True,
    )
    controller.start()
    print(f"READY {port} {ca_file}", flush=True)
    try:
        signal.pause()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
