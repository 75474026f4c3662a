"""The boxes list's search columns, kept by the database itself.

A word of a search finds a box when it is in the box's address, in its holder's folded
``search_text`` or starts its requester's codice fiscale (mailboxes.selectors). Asked of three
tables at once, that needed one set of box ids per word, hashed against the whole table (p95
769 ms at a million boxes). So every box carries the same facts in its own row:

- ``Casella.search_text``: the address in lower case, a space, the holder's ``search_text``;
- ``Casella.richiedente_cf``: the requester's codice fiscale in lower case ('' without one);

and each word is one condition on that row (``search_text LIKE '%w%' OR richiedente_cf LIKE
'w%'``), served on PostgreSQL by a trigram index (bitmaps of the words ANDed, or the list's
order read until a page is full). A word holds no space, so it cannot match across the parts.

Database triggers fill them on every write, whatever writes (save, bulk_create, bulk_update,
update, raw SQL, COPY): a box's insert or a change of its address or holder, a holder whose
``search_text`` changes, a requester created, changed or deleted. On SQLite a table rebuilt by
a later migration loses its triggers: :func:`install` runs again after every ``migrate``
(mailboxes.apps), and drops what it creates first, so running it twice is harmless.
"""

from __future__ import annotations

BOX = "mailboxes_casella"
HOLDER = "mailboxes_titolare"
REQUESTER = "mailboxes_richiedente"


def _box_text(row: str) -> str:
    return (
        f"lower({row}.casella_pec) || ' ' || COALESCE("
        f"(SELECT t.search_text FROM {HOLDER} t WHERE t.id = {row}.titolare_id), '')"
    )


def _box_cf(row: str) -> str:
    return (
        f"COALESCE((SELECT lower(r.codice_fiscale) FROM {REQUESTER} r "
        f"WHERE r.casella_id = {row}.id), '')"
    )


# Setting a box's search_text to '' (what the holder's and the requester's triggers do) makes
# its own trigger compute both columns again from the holder and requester rows.
_TOUCH_HOLDERS_BOXES = f"UPDATE {BOX} SET search_text = '' WHERE titolare_id = NEW.id;"
_BOX_COLUMNS = "casella_pec, titolare_id, search_text, richiedente_cf"

POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION mb_box_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_text := {_box_text("NEW")};
        NEW.richiedente_cf := {_box_cf("NEW")};
        RETURN NEW;
    END $$
    """,
    f"DROP TRIGGER IF EXISTS mb_box_search ON {BOX}",
    f"""
    CREATE TRIGGER mb_box_search BEFORE INSERT OR UPDATE OF {_BOX_COLUMNS} ON {BOX}
    FOR EACH ROW EXECUTE FUNCTION mb_box_search()
    """,
    f"""
    CREATE OR REPLACE FUNCTION mb_holder_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_TOUCH_HOLDERS_BOXES}
        RETURN NULL;
    END $$
    """,
    f"DROP TRIGGER IF EXISTS mb_holder_search ON {HOLDER}",
    f"""
    CREATE TRIGGER mb_holder_search AFTER UPDATE OF search_text ON {HOLDER}
    FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text)
    EXECUTE FUNCTION mb_holder_search()
    """,
    f"""
    CREATE OR REPLACE FUNCTION mb_requester_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            UPDATE {BOX} SET search_text = '' WHERE id = OLD.casella_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            UPDATE {BOX} SET search_text = '' WHERE id = NEW.casella_id;
        END IF;
        RETURN NULL;
    END $$
    """,
    f"DROP TRIGGER IF EXISTS mb_requester_search ON {REQUESTER}",
    f"""
    CREATE TRIGGER mb_requester_search
    AFTER INSERT OR DELETE OR UPDATE OF codice_fiscale, casella_id ON {REQUESTER}
    FOR EACH ROW EXECUTE FUNCTION mb_requester_search()
    """,
]

# SQLite cannot change NEW in a BEFORE trigger: the row is updated after it is written (the
# WHEN clause stops that update from starting the trigger again).
_SET_BOX = (
    f"UPDATE {BOX} SET search_text = {_box_text('NEW')}, richiedente_cf = {_box_cf('NEW')} "
    "WHERE id = NEW.id;"
)
SQLITE = [
    "DROP TRIGGER IF EXISTS mb_box_search_insert",
    f"CREATE TRIGGER mb_box_search_insert AFTER INSERT ON {BOX} BEGIN {_SET_BOX} END",
    "DROP TRIGGER IF EXISTS mb_box_search_update",
    f"""
    CREATE TRIGGER mb_box_search_update AFTER UPDATE OF {_BOX_COLUMNS} ON {BOX}
    WHEN NEW.search_text IS NOT {_box_text("NEW")} OR NEW.richiedente_cf IS NOT {_box_cf("NEW")}
    BEGIN {_SET_BOX} END
    """,
    "DROP TRIGGER IF EXISTS mb_holder_search",
    f"""
    CREATE TRIGGER mb_holder_search AFTER UPDATE OF search_text ON {HOLDER}
    WHEN OLD.search_text IS NOT NEW.search_text BEGIN {_TOUCH_HOLDERS_BOXES} END
    """,
    "DROP TRIGGER IF EXISTS mb_requester_search_insert",
    f"""
    CREATE TRIGGER mb_requester_search_insert AFTER INSERT ON {REQUESTER}
    BEGIN UPDATE {BOX} SET search_text = '' WHERE id = NEW.casella_id; END
    """,
    "DROP TRIGGER IF EXISTS mb_requester_search_update",
    f"""
    CREATE TRIGGER mb_requester_search_update
    AFTER UPDATE OF codice_fiscale, casella_id ON {REQUESTER}
    BEGIN UPDATE {BOX} SET search_text = '' WHERE id IN (OLD.casella_id, NEW.casella_id); END
    """,
    "DROP TRIGGER IF EXISTS mb_requester_search_delete",
    f"""
    CREATE TRIGGER mb_requester_search_delete AFTER DELETE ON {REQUESTER}
    BEGIN UPDATE {BOX} SET search_text = '' WHERE id = OLD.casella_id; END
    """,
]

# PostgreSQL: a word is searched with LIKE '%w%' (trigrams) and the codice fiscale with LIKE
# 'w%' (a pattern btree, whatever the database's collation).
INDEXES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS mb_box_search_trgm ON {BOX} "
    "USING gin (search_text gin_trgm_ops) WITH (fastupdate = off)",
    f"CREATE INDEX IF NOT EXISTS mb_box_requester_cf_idx ON {BOX} "
    "(richiedente_cf text_pattern_ops)",
]


def install(connection) -> None:
    """Create (again) the triggers on ``connection``'s database, if it has the tables."""
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(connection.vendor)
    if not statements:
        return
    tables = set(connection.introspection.table_names())
    if not {BOX, HOLDER, REQUESTER} <= tables:
        return
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, BOX)}
        if not {"search_text", "richiedente_cf"} <= columns:
            return  # migrating backwards, or before the columns exist
        for sql in statements:
            cursor.execute(sql)


def uninstall(connection) -> None:
    names = ["mb_box_search", "mb_holder_search", "mb_requester_search"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, table in zip(names, (BOX, HOLDER, REQUESTER), strict=True):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        elif connection.vendor == "sqlite":
            for sql in SQLITE:
                if sql.startswith("DROP"):
                    cursor.execute(sql)


def fill(connection) -> None:
    """Compute both columns of every box (the triggers do it on the touch)."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {BOX} SET search_text = ''")
