"""Rule packs: the YAML format (:mod:`~auditor.packs.model`), safe located loading
(:mod:`~auditor.packs.yamlsafe`, :mod:`~auditor.packs.loader`), named lint checks
(:mod:`~auditor.packs.lint`), the generated JSON Schema (:mod:`~auditor.packs.schema`) and
the test cases rules carry (:mod:`~auditor.packs.testing`)."""
