"""A customer profile for every address tickets were written to, and each ticket joined to it.

1. One INSERT ... SELECT makes the profiles: one per distinct normalized customer_email
   (trimmed, lower-cased), named after the newest ticket that has a name, in the language of
   the newest ticket that has one, in the organisation of its domain, created when its first
   ticket was. An address already a profile's (or an alias of one) is left alone, and so is
   one no profile can be keyed by (customer_email_shape).
2. Tickets are joined to their profile in id ranges of BATCH, each committed on its own
   (atomic = False): the rows of one range are locked for a moment, never the whole table
   for the whole run.
3. Tickets written to an alias join the profile holding it (only when aliases exist).

At a million tickets and 200,000 addresses this takes the time in docs/performance.md
("Issue 22: customer profiles migration"). The statements are module constants so that
customers/tests/test_profiles_migration.py runs them on varied data and compares the result
with its expectation.
"""

from django.db import migrations

BATCH = 100_000

CREATE_PROFILES = r"""
INSERT INTO customers_customer
    (email, aliases, name, language, organization_id, notes, bouncing, created_at, updated_at)
SELECT p.email, '{}', p.name, p.language,
       (SELECT o.id FROM customers_organization AS o
        WHERE o.domains @> ARRAY[split_part(p.email, '@', 2)]::varchar(253)[] ORDER BY o.id LIMIT 1),
       '', false, p.first_at, now()
FROM (
    SELECT lower(btrim(t.customer_email)) AS email,
           coalesce((array_agg(t.customer_name ORDER BY t.created_at DESC, t.id DESC)
                     FILTER (WHERE btrim(t.customer_name) <> ''))[1], '') AS name,
           coalesce((array_agg(t.language ORDER BY t.created_at DESC, t.id DESC)
                     FILTER (WHERE t.language <> ''))[1], '') AS language,
           min(t.created_at) AS first_at
    FROM tickets_ticket AS t
    WHERE t.customer_id IS NULL
    GROUP BY 1
) AS p
WHERE length(p.email) <= 254 AND p.email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'
  AND NOT EXISTS (SELECT 1 FROM customers_customer AS c WHERE c.aliases @> ARRAY[p.email]::varchar(254)[])
ON CONFLICT (email) DO NOTHING
"""

LINK_TICKETS = """
UPDATE tickets_ticket AS t SET customer_id = c.id
FROM customers_customer AS c
WHERE c.email = lower(btrim(t.customer_email)) AND t.customer_id IS NULL AND t.id >= %s AND t.id < %s
"""

LINK_ALIASES = """
UPDATE tickets_ticket AS t SET customer_id = c.id
FROM customers_customer AS c
WHERE c.aliases @> ARRAY[lower(btrim(t.customer_email))]::varchar(254)[] AND t.customer_id IS NULL
"""


def create_profiles(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(CREATE_PROFILES)
        # Statistics of the profiles just made: without them the planner takes the new table
        # for a few rows and joins each range of tickets to it by reading it whole per ticket
        # (one range ran for minutes on the bench database before this line).
        cursor.execute("ANALYZE customers_customer")
        cursor.execute("SELECT min(id), max(id) FROM tickets_ticket")
        first, last = cursor.fetchone()
        if first is not None:
            for start in range(first, last + 1, BATCH):
                cursor.execute(LINK_TICKETS, [start, start + BATCH])
        cursor.execute("SELECT EXISTS (SELECT 1 FROM customers_customer WHERE aliases <> '{}')")
        if cursor.fetchone()[0]:
            cursor.execute(LINK_ALIASES)


class Migration(migrations.Migration):
    atomic = False  # each statement commits on its own: no range of tickets stays locked

    dependencies = [
        ("customers", "0001_initial"),
        ("tickets", "0020_ccs"),
    ]

    # Backwards: the profiles stay (they may hold agents' notes by then); 0019 backwards
    # drops the tickets' link to them.
    operations = [migrations.RunPython(create_profiles, migrations.RunPython.noop, elidable=False)]
