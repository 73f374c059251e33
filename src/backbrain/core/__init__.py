"""The model every other layer builds on: where a vault is, how a note parses, the schema, the vault graph."""
