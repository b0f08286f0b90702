from docsite.documents.plugins import DocsitePluginConfig


class SummariesConfig(DocsitePluginConfig):
    # The imported base class is an AppConfig too; this marks which one Django uses.
    default = True
    name = "summaries"
    verbose_name = "Summaries"
    plugin_version = "0.1.0"
