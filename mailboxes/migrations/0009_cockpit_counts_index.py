from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mailboxes", "0008_renewals_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="casella",
            index=models.Index(fields=["stato", "titolare"], name="mb_box_stato_holder_idx"),
        ),
    ]
