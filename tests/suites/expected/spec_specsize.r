1 2 3
clauses that ran to their end: 2

