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

# A box's two columns, from its row NEW, its holder and its requester. Written once here and put
# into the triggers' SQL below: the only pieces put together, both constants of this module.
# Setting a box's search_text to '' (what the holder's and the requester's triggers do) makes
# the box's own trigger compute both again.
SEARCH_TEXT = """lower(NEW.casella_pec) || ' ' || COALESCE(
            (SELECT t.search_text FROM mailboxes_titolare t WHERE t.id = NEW.titolare_id), '')"""
REQUESTER_CF = """COALESCE(
            (SELECT lower(r.codice_fiscale) FROM mailboxes_richiedente r
             WHERE r.casella_id = NEW.id), '')"""

POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION mb_box_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_text := {SEARCH_TEXT};
        NEW.richiedente_cf := {REQUESTER_CF};
        RETURN NEW;
    END $$
    """,
    "DROP TRIGGER IF EXISTS mb_box_search ON mailboxes_casella",
    """
    CREATE TRIGGER mb_box_search
    BEFORE INSERT OR UPDATE OF casella_pec, titolare_id, search_text, richiedente_cf
    ON mailboxes_casella FOR EACH ROW EXECUTE FUNCTION mb_box_search()
    """,
    """
    CREATE OR REPLACE FUNCTION mb_holder_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE mailboxes_casella SET search_text = '' WHERE titolare_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    "DROP TRIGGER IF EXISTS mb_holder_search ON mailboxes_titolare",
    """
    CREATE TRIGGER mb_holder_search AFTER UPDATE OF search_text ON mailboxes_titolare
    FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text)
    EXECUTE FUNCTION mb_holder_search()
    """,
    """
    CREATE OR REPLACE FUNCTION mb_requester_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            UPDATE mailboxes_casella SET search_text = '' WHERE id = OLD.casella_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            UPDATE mailboxes_casella SET search_text = '' WHERE id = NEW.casella_id;
        END IF;
        RETURN NULL;
    END $$
    """,
    "DROP TRIGGER IF EXISTS mb_requester_search ON mailboxes_richiedente",
    """
    CREATE TRIGGER mb_requester_search
    AFTER INSERT OR DELETE OR UPDATE OF codice_fiscale, casella_id ON mailboxes_richiedente
    FOR EACH ROW EXECUTE FUNCTION mb_requester_search()
    """,
]

# SQLite cannot change NEW in a BEFORE trigger: the row is updated after it is written (the
# WHEN clause stops that update from starting the trigger again).
SQLITE_BOX_COMPUTE = f"""
        UPDATE mailboxes_casella
        SET search_text = {SEARCH_TEXT}, richiedente_cf = {REQUESTER_CF}
        WHERE id = NEW.id;"""  # noqa: S608  # nosec B608 - this module's two constants only

SQLITE = [
    "DROP TRIGGER IF EXISTS mb_box_search_insert",
    f"""
    CREATE TRIGGER mb_box_search_insert AFTER INSERT ON mailboxes_casella BEGIN
        {SQLITE_BOX_COMPUTE}
    END
    """,
    "DROP TRIGGER IF EXISTS mb_box_search_update",
    f"""
    CREATE TRIGGER mb_box_search_update
    AFTER UPDATE OF casella_pec, titolare_id, search_text, richiedente_cf ON mailboxes_casella
    WHEN NEW.search_text IS NOT {SEARCH_TEXT} OR NEW.richiedente_cf IS NOT {REQUESTER_CF}
    BEGIN
        {SQLITE_BOX_COMPUTE}
    END
    """,
    "DROP TRIGGER IF EXISTS mb_holder_search",
    """
    CREATE TRIGGER mb_holder_search AFTER UPDATE OF search_text ON mailboxes_titolare
    WHEN OLD.search_text IS NOT NEW.search_text BEGIN
        UPDATE mailboxes_casella SET search_text = '' WHERE titolare_id = NEW.id;
    END
    """,
    "DROP TRIGGER IF EXISTS mb_requester_search_insert",
    """
    CREATE TRIGGER mb_requester_search_insert AFTER INSERT ON mailboxes_richiedente BEGIN
        UPDATE mailboxes_casella SET search_text = '' WHERE id = NEW.casella_id;
    END
    """,
    "DROP TRIGGER IF EXISTS mb_requester_search_update",
    """
    CREATE TRIGGER mb_requester_search_update
    AFTER UPDATE OF codice_fiscale, casella_id ON mailboxes_richiedente BEGIN
        UPDATE mailboxes_casella SET search_text = ''
        WHERE id IN (OLD.casella_id, NEW.casella_id);
    END
    """,
    "DROP TRIGGER IF EXISTS mb_requester_search_delete",
    """
    CREATE TRIGGER mb_requester_search_delete AFTER DELETE ON mailboxes_richiedente BEGIN
        UPDATE mailboxes_casella SET search_text = '' WHERE id = OLD.casella_id;
    END
    """,
]

# PostgreSQL: a word is searched with LIKE '%w%' (trigrams) and the codice fiscale with LIKE
# 'w%' (a pattern btree, whatever the database's collation).
INDEXES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS mb_box_search_trgm ON mailboxes_casella "
    "USING gin (search_text gin_trgm_ops) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS mb_box_requester_cf_idx ON mailboxes_casella "
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
            for sql in POSTGRESQL:
                if sql.startswith("DROP"):
                    cursor.execute(sql)
            for name in names:
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        elif connection.vendor == "sqlite":
            for sql in SQLITE:
                if sql.startswith("DROP"):
                    cursor.execute(sql)


def fill(connection) -> None:
    """Compute both columns of every box (the triggers do it on the touch)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE mailboxes_casella SET search_text = ''")
