"""Outlook's winmail.dat (TNEF, application/ms-tnef) opened: the body and the files inside it.

tnefparse decodes it, in a child process with a CPU and a memory limit, because it is not
hardened against hostile input: a 20-byte attribute that claims 4 billion properties makes it
loop for hours, one that claims 2 billion values allocates until the machine runs out, and a
stream of many small attributes ahead of large data costs (attributes x size), since it copies
the rest of the stream at each one. In the child, whatever goes wrong costs at most
CPU_SECONDS, and every TNEF it could not read within the limits is kept whole by the caller.

This module imports nothing of Django or of the project: the child runs this very file.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import subprocess  # nosec B404  # runs this file with the same interpreter, nothing from the email on its command line
import sys
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
NAMES = frozenset({"winmail.dat"})
SIGNATURE = b"\x78\x9f\x3e\x22"  # 0x223E9F78, little-endian
# Limits of the decoding child: CPU time, wall time (a loaded machine), and address space
# (a base for the interpreter plus a multiple of what it is given).
CPU_SECONDS = 5
WALL_SECONDS = 30.0
MEMORY_BASE = 256 * 1024 * 1024
MEMORY_PER_BYTE = 8


@dataclass
class Unpacked:
    """What one TNEF held. A body is bytes in `*_charset` (None: unknown); empty when absent."""

    text: bytes = b""
    text_charset: str | None = None
    html: bytes = b""
    html_charset: str | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list)


def is_tnef(content_type: str, filename: str) -> bool:
    return content_type.lower() in TYPES or filename.strip().lower() in NAMES


def unpack(blobs: list[bytes], *, max_files: int, max_bytes: int) -> list[Unpacked | None]:
    """Each TNEF opened (None where it could not be, within the limits), in one child process.

    Together they give at most `max_files` files of at most `max_bytes` in all: a TNEF that
    would go past them is not opened. A blob without the TNEF signature is not sent at all."""
    results: list[Unpacked | None] = [None] * len(blobs)
    wanted = [index for index, blob in enumerate(blobs) if blob.startswith(SIGNATURE)]
    if not wanted:
        return results
    request = {
        "max_files": max_files,
        "max_bytes": max_bytes,
        "blobs": [base64.b64encode(blobs[index]).decode("ascii") for index in wanted],
    }
    try:
        child = subprocess.run(  # noqa: S603  # nosec B603  # sys.executable on this file; the email goes in on stdin
            [sys.executable, "-I", __file__],
            input=json.dumps(request).encode("ascii"),
            capture_output=True,
            timeout=WALL_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        logger.warning("winmail.dat kept unopened: the TNEF decoder took more than %s s", WALL_SECONDS)
        return results
    except OSError as error:
        logger.warning("winmail.dat kept unopened: the TNEF decoder could not start: %s", error)
        return results
    if child.returncode != 0:
        how = f"signal {-child.returncode}: a limit" if child.returncode < 0 else f"exit status {child.returncode}"
        logger.warning(
            "winmail.dat kept unopened: the TNEF decoder stopped (%s) %s",
            how,
            child.stderr[-300:].decode("utf-8", "replace").strip(),
        )
        return results
    try:
        answers = json.loads(child.stdout)["results"]
        if len(answers) != len(wanted):
            raise ValueError(f"{len(answers)} answers for {len(wanted)} TNEF parts")
        opened = [
            answer
            if "error" in answer
            else Unpacked(
                text=base64.b64decode(answer["text"]),
                text_charset=answer["text_charset"],
                html=base64.b64decode(answer["html"]),
                html_charset=answer["html_charset"],
                files=[(str(name), base64.b64decode(data)) for name, data in answer["files"]],
            )
            for answer in answers
        ]
    except (ValueError, KeyError, TypeError) as error:  # binascii.Error is a ValueError
        logger.warning("winmail.dat kept unopened: the TNEF decoder's answer could not be read: %s", error)
        return results
    for index, answer in zip(wanted, opened, strict=True):
        if isinstance(answer, Unpacked):
            results[index] = answer
        else:
            logger.warning("winmail.dat kept unopened: %s", answer["error"])
    return results


# --- The child: runs this file, reads the request on stdin, answers on stdout ---------------


def _limit_resources(size: int) -> None:
    try:
        import resource
    except ImportError:  # Windows has no such module: the wall-time limit still holds
        return
    for limit, value in (
        (resource.RLIMIT_CPU, CPU_SECONDS),
        (resource.RLIMIT_AS, MEMORY_BASE + MEMORY_PER_BYTE * size),
    ):
        with contextlib.suppress(ValueError, OSError):  # a platform that does not enforce it (RLIMIT_AS on macOS)
            resource.setrlimit(limit, (value, value))


def _body(value: object, charset: str | None) -> tuple[bytes, str | None]:
    """A body tnefparse gives as text (already decoded) or bytes (in `charset`)."""
    if isinstance(value, str):
        return value.rstrip("\x00").encode("utf-8"), "utf-8"
    if isinstance(value, bytes | bytearray):
        return bytes(value).rstrip(b"\x00"), charset
    return b"", None


def _name(attachment, charset: str) -> str:
    try:
        name = attachment.long_filename()
    except UnicodeDecodeError:  # a title in the OEM code page, which tnefparse reads as UTF-8
        name = attachment._name
    if isinstance(name, bytes | bytearray):
        try:
            name = bytes(name).decode(charset, "replace")
        except LookupError:  # a code page Python does not know
            name = bytes(name).decode("cp1252", "replace")
    return str(name or "").strip("\x00").strip()


def _open(blob: bytes) -> dict:
    from tnefparse import TNEF

    tnef = TNEF(blob, do_checksum=False)
    charset = tnef.codepage or "cp1252"
    # The file's bytes as attAttachData carries them: tnefparse prefers the copy in the
    # attachment's MAPI properties, with its trailing NUL bytes cut (a .docx or .zip ends in two).
    exact: list[bytes | None] = []
    for obj in tnef.objects:
        if obj.name == TNEF.ATTATTACHRENDDATA:
            exact.append(None)
        elif obj.level == TNEF.LVL_ATTACHMENT and obj.name == TNEF.ATTATTACHDATA and exact:
            exact[-1] = obj.data
    files = []
    for index, attachment in enumerate(tnef.attachments):
        data = exact[index] if index < len(exact) and exact[index] is not None else attachment.data
        files.append((_name(attachment, charset), bytes(data)))
    text, text_charset = _body(tnef.body, charset)
    html, html_charset = _body(tnef.htmlbody, charset)
    return {"text": text, "text_charset": text_charset, "html": html, "html_charset": html_charset, "files": files}


def _child() -> None:
    logging.disable(logging.CRITICAL)  # tnefparse logs per property, even in its loops
    raw = sys.stdin.buffer.read()
    _limit_resources(len(raw))
    request = json.loads(raw)
    files_left, bytes_left = request["max_files"], request["max_bytes"]
    results = []
    for blob in request["blobs"]:
        failure = None
        try:
            opened = _open(base64.b64decode(blob))
        except MemoryError:  # said once the except block has let go of what filled the memory
            failure = "the TNEF needs more memory than its decoder may use"
        except Exception as error:  # corrupt or odd: this one is kept whole by the caller
            failure = f"the TNEF could not be read: {type(error).__name__}: {error}"[:300]
        if failure is not None:
            results.append({"error": failure})
            continue
        size = sum(len(data) for _, data in opened["files"])
        if len(opened["files"]) > files_left or size > bytes_left:
            results.append({"error": f"it holds {len(opened['files'])} files of {size} bytes, over the email's limits"})
            continue
        files_left -= len(opened["files"])
        bytes_left -= size
        results.append(
            {
                "text": base64.b64encode(opened["text"]).decode("ascii"),
                "text_charset": opened["text_charset"],
                "html": base64.b64encode(opened["html"]).decode("ascii"),
                "html_charset": opened["html_charset"],
                "files": [(name, base64.b64encode(data).decode("ascii")) for name, data in opened["files"]],
            }
        )
    sys.stdout.write(json.dumps({"results": results}))


if __name__ == "__main__":
    _child()
