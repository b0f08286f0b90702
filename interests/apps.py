from docsite.documents.plugins import DocsitePluginConfig


class InterestsConfig(DocsitePluginConfig):
    # The imported base class is an AppConfig too; this marks which one Django uses.
    default = True
    name = "interests"
    verbose_name = "Interests"
    plugin_version = "0.1.0"
