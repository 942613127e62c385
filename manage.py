#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    from django.core.management import execute_from_command_line

    command = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else ""
    if not command:
        execute_from_command_line(sys.argv)
        return
    import django

    try:
        django.setup()
    except Exception:  # a configuration error: the command line reports it its own way
        execute_from_command_line(sys.argv)
        return
    from helpdesk.audit import through_command  # only once the apps are ready

    # Configuration changed by this command is recorded as made "through command <name>".
    with through_command(command):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
