"""The funder report: HTML (self-contained) and PDF from the warehouse and the charts.

Kept free of imports so ``pipelines.report.i18n`` can be used by the charts without
pulling in the renderer.
"""

LANGUAGE_ENV = "AAI_REPORT_LANG"  # the report language, read by the report asset and ``aai report``
