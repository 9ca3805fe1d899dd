-- The files the figures were computed from, for provenance (paths relative to raw/).
select source_file, sha256
from ingest_log
where status in ('loaded', 'loaded_with_quarantine')
order by source_file
