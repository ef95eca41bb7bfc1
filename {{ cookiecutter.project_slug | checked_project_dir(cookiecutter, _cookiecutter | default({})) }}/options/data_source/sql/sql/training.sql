-- The training rows (data_path = "sql:training?..." in config.toml): `make train` runs this query.
--
-- Every column src/{{ cookiecutter.module_name }}/schema.py declares must come back under its name;
-- the schema alone says which columns matter and checks their types and bounds, as for a file,
-- so other columns are ignored. `make seed-db` fills the table {{ cookiecutter._example_sql[cookiecutter.task].table }} from the sample.
-- :since and :until bound the training period (until excluded); data_path gives their values.
-- The order makes the split reproducible (and the data's fingerprint the same as the file's).
SELECT *
FROM {{ cookiecutter._example_sql[cookiecutter.task].table }}
WHERE {{ cookiecutter._example_sql[cookiecutter.task].time }} >= :since AND {{ cookiecutter._example_sql[cookiecutter.task].time }} < :until
ORDER BY {{ cookiecutter._example_sql[cookiecutter.task].order }}
