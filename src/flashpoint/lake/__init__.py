"""The Spark engine: canonical events in a Parquet lake, and the jobs that run over it.

With ``engine = spark`` an ingest parses each file where Spark runs its tasks (the sources'
own mapping, :mod:`flashpoint.store.ingest`, in an embedded DuckDB per file), keeps each event
once across the lake (a Spark job), clusters the events into incidents and counts every pair's
weeks (Spark jobs over the lake, the same SQL and Ibis definitions as the store's), and
commits the batch by writing its manifest last. The store file then reads the lake: its
``events`` are a view over the committed Parquet files, its weekly counts the lake's
(:mod:`flashpoint.lake.store_view`), and every command after an ingest works as on DuckDB.
See docs/scale.md and docs/adr/029.
"""
