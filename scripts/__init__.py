"""Developer and operations tooling: the private database server and the migrator."""
