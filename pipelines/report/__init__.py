"""The funder report: HTML (self-contained) and PDF from the publish layer's tables and
the charts."""
