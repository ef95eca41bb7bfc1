-- The rows to score: `predict --input sql:` (or sql:scoring) runs this query.
--
-- Every input column src/{{ cookiecutter.module_name }}/schema.py declares must come back under its
-- name; the target may be absent. Rows that break the schema go to the rejects file with the
-- reason, as a file's do. Add parameters as in training.sql (:name, given as sql:scoring?name=...).
SELECT *
FROM {{ cookiecutter._example_sql[cookiecutter.task].table }}
ORDER BY {{ cookiecutter._example_sql[cookiecutter.task].order }}
