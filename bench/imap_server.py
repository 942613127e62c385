"""A throwaway IMAP server for the mail benchmark: Debian's dovecot (dovecot-imapd) with a
config, mail directory and password file of its own, on the benchmark's IMAP port, plain
text on loopback. Nothing of the system's dovecot is used or changed
(../shared/recipes/dovecot-imap-test.md gives the recipe).

imap-login refuses to run as root: as root, the mail is owned by the package's `dovecot`
user and logins run as `dovenull`; as another user, dovecot runs as that user.
"""

from __future__ import annotations

import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USERS = {"support@example.com": "bench-imap-password", "empty@example.com": "bench-imap-password"}


class Dovecot:
    def __init__(self, port: int) -> None:
        self.port = port
        self.directory = Path(tempfile.mkdtemp(prefix="helpdesk-bench-dovecot-"))
        self.config = self.directory / "dovecot.conf"

    def _conf(self) -> str:
        root = os.geteuid() == 0
        user = "dovecot" if root else getpass.getuser()
        login_user = "dovenull" if root else user
        d = self.directory
        return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={user} gid={pwd.getpwnam(user).pw_gid} home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
default_internal_user = {user}
default_login_user = {login_user}
first_valid_uid = 1
"""

    def start(self) -> Dovecot:
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not Path(binary).exists():
            raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
        (self.directory / "mail").mkdir()
        (self.directory / "run").mkdir()
        self.directory.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.directory / "mail", "dovecot", "dovecot")
        self.config.write_text(self._conf())
        (self.directory / "users").write_text("".join(f"{user}:{{PLAIN}}{pw}\n" for user, pw in USERS.items()))
        # dovecot daemonizes: its output goes to a file (a pipe would stay open in the daemon).
        with (self.directory / "start.log").open("w") as log:
            subprocess.run([binary, "-c", str(self.config)], check=True, stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not listen on port {self.port}: see {self.directory}/dovecot.log")

    def stop(self) -> None:
        doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        subprocess.run(
            [doveadm, "-c", str(self.config), "stop"], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) != 0:
                    break
            time.sleep(0.05)
        shutil.rmtree(self.directory, ignore_errors=True)
