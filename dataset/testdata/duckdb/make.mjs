// Writes duckdb.parquet and duckdb.csv: one small table with the types a
// warehouse export holds (integers, doubles, decimals, strings, booleans,
// dates, timestamps, nulls), written by DuckDB's own Parquet and CSV writers.
// Run: npm install @duckdb/node-api@1.5.6-r.1 && node make.mjs
import { DuckDBInstance } from '@duckdb/node-api';

const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(`
CREATE TABLE t AS
SELECT
  i::INTEGER AS id,
  CASE WHEN i % 7 = 3 THEN NULL ELSE round(i * 1.37 - 40, 3) END AS x,
  (i * 31 % 97)::BIGINT AS n,
  CASE WHEN i % 5 = 1 THEN NULL ELSE ['red', 'green', 'blue', 'dark blue'][i % 4 + 1] END AS colour,
  (i % 3 = 0) AS flag,
  (DATE '2020-01-01' + INTERVAL (i % 400) DAY)::DATE AS day,
  TIMESTAMP '2021-03-04 05:06:07' + INTERVAL (i * 3600) SECOND AS at,
  ((i * 37 - 500) / 100)::DECIMAL(9, 2) AS cost,
  CASE WHEN i % 2 = 0 THEN 'no' ELSE 'yes' END AS y
FROM range(200) r(i)`);
await c.run(`COPY t TO 'duckdb.parquet' (FORMAT parquet)`);
await c.run(`COPY t TO 'duckdb.csv' (FORMAT csv, HEADER)`);
