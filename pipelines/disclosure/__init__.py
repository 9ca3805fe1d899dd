"""Disclosure control: primary suppression, suppression planned against an attacker's
linear program, and the audit that runs that attack on everything published.

- ``rules``: which indicators describe people, which share respondents, the scales.
- ``primary.sql``: the threshold rules, on the true counts of ``indicators``.
- ``model``: the attacker's linear program over *atoms* (the finest crossing of every
  published breakdown), built from the catalogue and the published cells.
- ``ranges``: how far the attacker can narrow each protected count (SciPy HiGHS).
- ``plan``: primary suppression, then secondary suppression planned with the attack
  in the loop. ``audit``: the same attack over the warehouse's published tables.
- ``impact``, ``domains``, ``periods``: the other published tables and reports.

Method and figures: docs/disclosure.md.
"""
