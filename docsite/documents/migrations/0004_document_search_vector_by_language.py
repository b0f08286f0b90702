"""Index documents by their language, with character bigrams for CJK runs.

A generated column cannot be altered, so it is dropped and added again
(Postgres recomputes it for every row).
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

import docsite.documents.models

# The bigrams of every run of Han, kana or Hangul characters, space-separated
# in reading order; the same ranges as interests.search_syntax.CJK_RUN.
CJK_BIGRAMS = r"""
CREATE OR REPLACE FUNCTION docsite_cjk_bigrams(body text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(substr(m.run[1], i, 2), ' ' ORDER BY m.n, i), '')
  FROM regexp_matches(
         coalesce(body, ''),
         '([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]{2,})',
         'g'
       ) WITH ORDINALITY AS m(run, n),
       generate_series(1, char_length(m.run[1]) - 1) AS i
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0003_documentevent"),
    ]

    operations = [
        migrations.RunSQL(
            CJK_BIGRAMS, reverse_sql="DROP FUNCTION IF EXISTS docsite_cjk_bigrams(text)"
        ),
        migrations.RemoveIndex(model_name="document", name="document_search_gin"),
        migrations.RemoveField(model_name="document", name="search_vector"),
        migrations.AddField(
            model_name="document",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=docsite.documents.models.DocumentSearchVector(),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="document",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="document_search_gin"
            ),
        ),
    ]
