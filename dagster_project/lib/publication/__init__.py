"""Publication: what readers open, switched all at once, and the ledger that proves its history.

``layout`` names the files, ``ledger`` keeps the hash-chained record of every publication,
``publish`` stages and switches one, ``audit`` verifies and prunes (``isadex verify | prune``).
"""
