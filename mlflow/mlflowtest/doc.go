// Package mlflowtest is an in-process MLflow tracking server test double with seeded failure
// injection.
//
// Server implements the endpoints package mlflow uses, with MLflow's documented request and
// response shapes (REST API 2.0 and the proxied artifact API), and rejects what MLflow rejects:
// missing required fields, values of the wrong JSON type, batches over MLflow's limits,
// invalid names, a param re-logged with a new value. Errors use MLflow's JSON body
// {"error_code": ..., "message": ...} with its HTTP status. It also reproduces measured quirks
// of real servers: POSTs without Content-Type: application/json are refused, param values over
// 6000 characters are cut silently, metrics/get-history needs max_results (3.x), a missing
// artifact downloads as HTTP 500 (3.x), and a chunked artifact upload is answered 200 but
// stored empty (seen on one 3.x deployment).
//
// Options.FailRate makes a fraction of requests, drawn from a generator seeded by
// Options.Seed, fail in one of several ways: a 5xx or 429 answer, a connection reset before
// the request is handled, a reset after it was handled (the answer is lost, the change is
// kept), or a stall past the client's timeout after handling. It is meant for tests of this
// module and for CLI tests; it keeps everything in memory.
package mlflowtest
