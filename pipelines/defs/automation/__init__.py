"""When the pipeline runs: the monthly schedule and the drop-zone sensor."""
