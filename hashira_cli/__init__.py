"""The `hashira` command line: graph commands and the request-answering commands."""
