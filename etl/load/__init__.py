"""The load stage: one file's rows written through its ORM session — key matching against the
table, the in-file key store, and the write strategies per dialect."""
