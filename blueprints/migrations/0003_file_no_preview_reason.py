from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("blueprints", "0002_database_rules"),
    ]

    operations = [
        migrations.AddField(
            model_name="file",
            name="no_preview_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    (
                        "too_large",
                        "The image has too many pixels for a preview. The file itself can be downloaded.",
                    ),
                    ("file_too_large", "The file is too large for a preview. It can be downloaded."),
                ],
                max_length=20,
                verbose_name="no preview because",
            ),
        ),
    ]
