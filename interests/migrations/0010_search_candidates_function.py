from django.db import migrations

# The documents whose index entry matches a tsquery, always through the GIN
# index (document_search_gin). For a sentence's OR of many rare terms the
# planner estimates the bitmap scan dearer than a sequential scan, which
# detoasts every document's tsvector to test it: at 10k documents the search
# took three times as long. The setting holds inside the function only.
CANDIDATES = r"""
CREATE OR REPLACE FUNCTION docsite_search_candidates(q tsquery) RETURNS SETOF bigint
LANGUAGE sql STABLE PARALLEL SAFE ROWS 500 SET enable_seqscan = off AS $$
  SELECT id FROM documents_document WHERE search_vector @@ q
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("interests", "0009_searchterm_postings"),
        ("documents", "0004_document_search_vector_by_language"),
    ]

    operations = [
        migrations.RunSQL(
            CANDIDATES,
            reverse_sql="DROP FUNCTION IF EXISTS docsite_search_candidates(tsquery)",
        ),
    ]
