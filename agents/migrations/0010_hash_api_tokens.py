"""API tokens move to django-rest-knox's table, stored as SHA-512 digests (issue 20).

Each token of REST framework's authtoken table is hashed in place, in one statement, the
way knox hashes (`knox.crypto.hash_token`: SHA-512 of the token's UTF-8 bytes, in hex), so
integrations keep working with the key they hold. It gets API_TOKEN_TTL_DAYS from the
migration on (none when 0). The plain-text table is then dropped. The test
agents/tests/test_tokens.py runs this statement against knox's own hash.
"""

from __future__ import annotations

from django.conf import settings
from django.db import migrations

COPY = """
INSERT INTO knox_authtoken (digest, token_key, user_id, created, expiry)
SELECT encode(sha512(convert_to(key, 'UTF8')), 'hex'), left(key, 15), user_id, created,
       CASE WHEN %s > 0 THEN now() + make_interval(days => %s) END
FROM authtoken_token
ON CONFLICT (digest) DO NOTHING
"""


def hash_tokens(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('authtoken_token') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return  # a database that never had REST framework's tokens
        days = settings.API_TOKEN_TTL_DAYS
        cursor.execute(COPY, [days, days])
        cursor.execute("DROP TABLE authtoken_token")
        cursor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0009_email_shape_validators"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(hash_tokens, migrations.RunPython.noop, elidable=False)]
