"""The publish layer: what may be shown, ready to show, read once for charts, reports,
exports and the notebook.

It sits after impact and before charts in the one direction of flow (ingest →
validate → indicators → impact → publish → charts → report). Its modules read only
the public tables (``indicators_public``, suppressed impact sizes) and give them their
words: ``i18n`` (every label and number format, in every language), ``readers`` and
``queries`` (one read per period: ``PeriodData``), ``scope`` (which programme and
period a publication covers), ``audit`` (the disclosure audit of all of it),
``figures`` (the citable figures), ``framework`` and ``results`` (progress against a
programme's results framework) and the exports built from them, ``iati`` and ``tables``.
Charts and the report import from here, never from each other backwards.
"""
