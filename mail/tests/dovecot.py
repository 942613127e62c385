"""A throwaway IMAP server for the tests: Debian's dovecot (apt-get install dovecot-imapd).

Each test session starts its own instance on a free localhost port, with its own config,
mail folders and runtime files in a temporary directory; nothing of the machine's dovecot is
used or changed. Any user name logs in with PASSWORD (a static passdb) and gets a fresh,
empty Maildir: each test takes a user of its own. Given an introspection URL, users may also
sign in with SASL XOAUTH2: dovecot's oauth2 passdb POSTs the token there and lets the user in
when the answer says it is active and theirs (mail/tests/identity.py answers). As root (CI),
the login and mail processes run as the package's dovecot/dovenull users (imap-login refuses
root); as anyone else, as that user.
"""

from __future__ import annotations

import getpass
import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from imapclient import IMAPClient

PASSWORD = "secret-imap-password"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login{mechanisms}
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u
mail_fsync = never
passdb {{
  driver = static
  mechanisms = plain login
  args = password={password}
}}
{oauth2_passdb}userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
# No chroot: that needs root, and a test server has nothing to hide.
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
# No growing delays after the wrong-password tests' failed logins (anvil's auth penalty).
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
"""

# Sign-in with OAuth2 (SASL XOAUTH2): dovecot asks the test's identity provider whether the
# token is active and whose it is (mail/tests/identity.py); the user named in the XOAUTH2
# string must be that one.
OAUTH2_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {root}/oauth2.conf
}}
"""
OAUTH2_CONFIG = """\
introspection_mode = post
introspection_url = {introspection_url}
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    """One running dovecot instance (start() / stop()), and helpers to look into its mailboxes."""

    host = "127.0.0.1"

    def __init__(self, oauth2_introspection_url: str = "") -> None:
        """With an introspection URL, XOAUTH2 sign-in works too (tokens checked there); the
        password (PLAIN, LOGIN) works either way."""
        if not Path(DOVECOT).exists():
            raise RuntimeError("dovecot is not installed: apt-get install -y dovecot-imapd")
        self.root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
        self.port = _free_port()
        self.config = self.root / "dovecot.conf"
        self.oauth2_introspection_url = oauth2_introspection_url

    def start(self) -> Dovecot:
        (self.root / "mail").mkdir()
        (self.root / "run").mkdir()
        if os.geteuid() == 0:
            internal, login = "dovecot", "dovenull"
            mail_user = pwd.getpwnam("dovecot")
            uid, gid = mail_user.pw_uid, mail_user.pw_gid
            os.chown(self.root / "mail", uid, gid)
            self.root.chmod(0o755)
        else:
            internal = login = getpass.getuser()
            uid, gid = os.getuid(), os.getgid()
        oauth2 = bool(self.oauth2_introspection_url)
        if oauth2:
            oauth2_config = OAUTH2_CONFIG.format(introspection_url=self.oauth2_introspection_url)
            (self.root / "oauth2.conf").write_text(oauth2_config)
        self.config.write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                password=PASSWORD,
                uid=uid,
                gid=gid,
                internal_user=internal,
                internal_group=grp.getgrgid(gid).gr_name,
                login_user=login,
                mechanisms=" xoauth2" if oauth2 else "",
                oauth2_passdb=OAUTH2_PASSDB.format(root=self.root) if oauth2 else "",
            )
        )
        # It forks into the background and keeps its standard streams: a file, not a pipe
        # (a pipe would never see its end).
        with open(self.root / "startup.log", "wb") as output:
            started = subprocess.run(
                [DOVECOT, "-c", str(self.config)], stdout=output, stderr=output, timeout=30, check=False
            )
        if started.returncode != 0:
            raise RuntimeError(f"dovecot did not start: {(self.root / 'startup.log').read_text(errors='replace')}")
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as probe:
                    if probe.recv(64).startswith(b"* OK"):
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not start; its log:\n{self.log()}")
            time.sleep(0.02)

    def stop(self) -> None:
        subprocess.run([DOVEADM, "-c", str(self.config), "stop"], capture_output=True, timeout=30, check=False)
        pid_file = self.root / "run" / "master.pid"
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else "(no log)"

    # --- Looking into mailboxes ---------------------------------------------------------

    @staticmethod
    def new_user() -> str:
        return f"support-{uuid.uuid4().hex[:12]}@example.com"

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, PASSWORD)
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX", flags: tuple[bytes, ...] = ()) -> int:
        """APPEND an email; its UID."""
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=flags)
        finally:
            client.logout()
        # b"[APPENDUID <validity> <uid>] Append completed."
        return int(response.split(b"]")[0].split()[-1])

    def messages(self, user: str, folder: str = "INBOX") -> dict[int, set[bytes]]:
        """UID -> flags of every email in a folder, but \\Recent (which depends on the session);
        {} when the folder does not exist."""
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                return {}
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            return (
                {uid: set(data[b"FLAGS"]) - {b"\\Recent"} for uid, data in client.fetch(uids, ["FLAGS"]).items()}
                if uids
                else {}
            )
        finally:
            client.logout()

    def set_flags(self, user: str, uids: list[int], flags: list[bytes], folder: str = "INBOX") -> None:
        """Replace the flags of these emails (e.g. [] to make them unread again)."""
        client = self.client(user)
        try:
            client.select_folder(folder)
            client.set_flags(uids, flags)
        finally:
            client.logout()

    def recreate_folder(self, user: str, folder: str) -> None:
        """Delete a folder and create it again, empty: it gets a new UIDVALIDITY."""
        client = self.client(user)
        try:
            client.delete_folder(folder)
            client.create_folder(folder)
        finally:
            client.logout()

    def uid_validity(self, user: str, folder: str = "INBOX") -> int:
        client = self.client(user)
        try:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])
        finally:
            client.logout()


def simple_email(
    subject: str = "Printer on fire",
    body: str = "The printer on floor 3 is on fire again. Please help.",
    sender: str = "Carla Customer <carla@customer.example>",
    message_id: str | None = None,
) -> bytes:
    """A plain customer email as a mail client sends it (CRLF line ends)."""
    message_id = message_id or f"<{uuid.uuid4().hex}@customer.example>"
    lines = [
        f"From: {sender}",
        "To: support@example.com",
        f"Subject: {subject}",
        f"Message-ID: {message_id}",
        "Date: Fri, 04 Dec 2026 09:15:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode()
