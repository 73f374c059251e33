"""`backbrain lsp`: a language server over the same core model as the CLI and the site.

A presentation layer like cli/ and web/: server.py wires pygls to one module per feature group
(diagnostics, completion, navigation, refactor, actions); the rules, the schema and link resolution
all come from the core. pygls and lsprotocol are the optional extra `lsp`.
"""
