-- Run once by the postgres image on an empty data volume (after POSTGRES_DB=dagster is created).
-- MLflow and Dagster both have a `runs` table, and the app's tables are the app's: one database
-- each, on the same server.
CREATE DATABASE mlflow;
CREATE DATABASE hashira_app;
