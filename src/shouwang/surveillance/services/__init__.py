"""Every write of the surveillance app, one module per sub-domain (diseases, cases, labs,
imports, counts). Each service takes `actor=` keyword-only, validates, runs in a transaction
and audits."""
