from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interests", "0008_feed_response_index"),
    ]

    operations = [
        # Filled by the next dictionary rebuild (search_terms_refresh); until
        # then the match rule falls back to the word's own count.
        migrations.AddField(
            model_name="searchterm",
            name="postings",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
