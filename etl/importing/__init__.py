"""One file's journey: ledger claim, reader → pipeline → load, moves, rejects and results."""
