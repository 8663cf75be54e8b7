// Package serving scores records with a model bundle over HTTP: POST /score
// (JSON records, JSON columns or CSV), an OpenAPI 3 document generated from
// the bundle's input schema (/swagger.json, /openapi.json), /ready, /status
// and Prometheus /metrics.
//
// Requests are validated against the bundle's inputs before scoring: a
// missing column, an unknown column or a value of the wrong type is a 400
// answer whose JSON body lists every bad field. Missing values (null) and
// categories not seen in training are handled as the fitted preprocessing
// pipeline handles them, which the OpenAPI document spells out per column.
//
// The scoring path is pure Go: JSON is read by a small scanner that does not
// build a tree, each record goes through preprocess.Pipeline.TransformRow into
// a pooled buffer, and tree models score through github.com/dmitryikh/leaves.
package serving
