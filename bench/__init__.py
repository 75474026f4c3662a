"""`make bench` (``python -m bench``): the portal against the naive way of doing each job, on
PostgreSQL and the built-in sandbox, with data built at run time (nothing is committed).

See BENCHMARKS.md for the figures and how to read them."""
