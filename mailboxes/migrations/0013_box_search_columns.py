from django.db import migrations, models

# The boxes list's search reads one row per box (mailboxes/box_search.py): two columns kept by
# database triggers, filled here for the boxes already there, and on PostgreSQL their indexes.


def forwards(apps, schema_editor):
    from mailboxes import box_search

    connection = schema_editor.connection
    box_search.install(connection)
    box_search.fill(connection)
    if connection.vendor == "postgresql":
        for sql in box_search.INDEXES:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    from mailboxes import box_search

    connection = schema_editor.connection
    box_search.uninstall(connection)
    if connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS mb_box_search_trgm")
        schema_editor.execute("DROP INDEX IF EXISTS mb_box_requester_cf_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("mailboxes", "0012_admin_labels_in_italian"),
    ]

    operations = [
        migrations.AddField(
            model_name="casella",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="casella",
            name="richiedente_cf",
            field=models.CharField(blank=True, default="", editable=False, max_length=16),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
