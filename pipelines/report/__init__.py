"""The funder report: HTML (self-contained) and PDF from the warehouse and the charts.

Kept free of imports so ``pipelines.report.i18n`` can be used by the charts without
pulling in the renderer.
"""
