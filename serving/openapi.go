package serving

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/preprocess"
)

// The subset of OpenAPI 3.0.3 this package writes. Examples are raw JSON so
// that a record's keys keep the model's column order.

type document struct {
	OpenAPI    string               `json:"openapi"`
	Info       info                 `json:"info"`
	Servers    []server             `json:"servers,omitempty"`
	Paths      map[string]*pathItem `json:"paths"`
	Components components           `json:"components"`
}

type server struct {
	URL string `json:"url"`
}

type info struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Version     string `json:"version"`
}

type pathItem struct {
	Get  *operation `json:"get,omitempty"`
	Post *operation `json:"post,omitempty"`
}

type operation struct {
	Summary     string                `json:"summary"`
	Description string                `json:"description,omitempty"`
	OperationID string                `json:"operationId"`
	Parameters  []parameter           `json:"parameters,omitempty"`
	RequestBody *requestBody          `json:"requestBody,omitempty"`
	Responses   map[string]*response  `json:"responses"`
	Security    []map[string][]string `json:"security,omitempty"`
}

type parameter struct {
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Description string  `json:"description"`
	Schema      *schema `json:"schema"`
}

type requestBody struct {
	Description string                  `json:"description"`
	Required    bool                    `json:"required"`
	Content     map[string]*mediaObject `json:"content"`
}

type mediaObject struct {
	Schema   *schema             `json:"schema"`
	Example  json.RawMessage     `json:"example,omitempty"`
	Examples map[string]*example `json:"examples,omitempty"`
}

type example struct {
	Summary string          `json:"summary"`
	Value   json.RawMessage `json:"value"`
}

type response struct {
	Description string                  `json:"description"`
	Content     map[string]*mediaObject `json:"content,omitempty"`
}

type components struct {
	Schemas         map[string]*schema         `json:"schemas"`
	SecuritySchemes map[string]*securityScheme `json:"securitySchemes,omitempty"`
}

type securityScheme struct {
	Type   string `json:"type"`
	Scheme string `json:"scheme"`
}

type schema struct {
	Ref                  string             `json:"$ref,omitempty"`
	Type                 string             `json:"type,omitempty"`
	Description          string             `json:"description,omitempty"`
	Nullable             bool               `json:"nullable,omitempty"`
	Enum                 []*string          `json:"enum,omitempty"` // nil entries are null
	Default              json.RawMessage    `json:"default,omitempty"`
	Example              json.RawMessage    `json:"example,omitempty"`
	Properties           map[string]*schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties *bool              `json:"additionalProperties,omitempty"`
	Items                *schema            `json:"items,omitempty"`
	OneOf                []*schema          `json:"oneOf,omitempty"`
	MinItems             *int               `json:"minItems,omitempty"`
	MaxItems             *int               `json:"maxItems,omitempty"`
}

func ref(name string) *schema { return &schema{Ref: "#/components/schemas/" + name} }
func ptr[T any](v T) *T       { return &v }
func raw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("serving: %v", err))
	}
	return b
}

// state returns the fitted state of input column i in the first member
// that reads it, and that member's pipeline spec.
func (h *handler) state(i int) (*preprocess.ColumnState, preprocess.Spec) {
	for _, p := range h.parts {
		for j := range p.prep.Columns {
			if p.prep.Columns[j].Name == h.names[i] {
				return &p.prep.Columns[j], p.prep.Spec
			}
		}
	}
	return nil, h.parts[0].prep.Spec
}

// examples returns, per input column, the JSON of an example value taken
// from a training row (bundle.Input.Example), or null.
func (h *handler) examples() []json.RawMessage {
	byName := map[string]string{}
	for _, in := range h.m.Inputs {
		byName[in.Name] = in.Example
	}
	out := make([]json.RawMessage, len(h.names))
	for i, name := range h.names {
		st, _ := h.state(i)
		out[i] = exampleValue(h.kinds[i], byName[name], st)
	}
	return out
}

func exampleValue(kind dataset.Kind, text string, st *preprocess.ColumnState) json.RawMessage {
	if preprocess.IsMissingMarker(text) {
		return json.RawMessage("null")
	}
	switch kind {
	case dataset.Numeric:
		v, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			v, err = strconv.ParseFloat(strings.Replace(strings.TrimSpace(text), ",", ".", 1), 64)
		}
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return json.RawMessage("null")
		}
		return json.RawMessage(strconv.FormatFloat(v, 'g', -1, 64))
	case dataset.Boolean:
		t := strings.ToLower(strings.TrimSpace(text))
		var trues, falses []string
		if st != nil {
			trues, falses = st.True, st.False
		}
		for _, s := range append(trues, "true", "t", "yes", "y", "1") {
			if t == s {
				return json.RawMessage("true")
			}
		}
		for _, s := range append(falses, "false", "f", "no", "n", "0") {
			if t == s {
				return json.RawMessage("false")
			}
		}
		return json.RawMessage("null")
	}
	return raw(text)
}

// exampleRecord is one record, keys in column order.
func (h *handler) exampleRecord(vals []json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range h.names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(raw(name))
		b.WriteByte(':')
		b.Write(vals[i])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// columnSchema describes input column i, including how the fitted pipeline
// treats missing values and unseen categories.
func (h *handler) columnSchema(i int, ex json.RawMessage) *schema {
	st, spec := h.state(i)
	s := &schema{Nullable: true, Example: ex}
	missing := "null, or a missing marker string (\"\", NA, N/A, NaN, null, ?), is a missing value"
	switch h.kinds[i] {
	case dataset.Numeric:
		s.Type = "number"
		s.Description = "Numeric. " + missing
		if st != nil && len(st.Parts) == 1 {
			s.Description = fmt.Sprintf("Numeric. null is a missing value, imputed with %s, the training %s.",
				strconv.FormatFloat(st.Parts[0].Fill, 'g', 6, 64), spec.NumericImpute)
		}
	case dataset.Boolean:
		s.Type = "boolean"
		s.Description = "Boolean. null is a missing value, imputed with the most frequent training value"
		if st != nil && len(st.Parts) == 1 {
			s.Description += fmt.Sprintf(" (%t)", st.Parts[0].Fill == 1)
		}
		s.Description += "."
	case dataset.Datetime:
		s.Type = "string"
		s.Description = "Date or time, read as UTC unless it carries a zone: 2006-01-02, 2006-01-02T15:04:05, " +
			"2006-01-02 15:04, RFC 3339 (2006-01-02T15:04:05Z07:00), 2006/01/02, or the layout of the training file. " +
			"It becomes year, month, day, weekday and hour; " + missing + ": each part is imputed with the training " + spec.NumericImpute + "."
	case dataset.Categorical:
		s.Type = "string"
		var d strings.Builder
		d.WriteString("Categorical. A number is accepted too and matched by its text. ")
		fill := spec.FillValue
		if st != nil {
			fill = st.Fill
		}
		fmt.Fprintf(&d, "%s, imputed with %q (%s). ", strings.ToUpper(missing[:1])+missing[1:], fill, spec.CategoricalImpute)
		d.WriteString("The enum lists the categories seen in training; any other value is accepted as well and ")
		switch {
		case spec.Encoding != preprocess.EncodeOrdinal:
			d.WriteString("encoded as no known category (all one-hot indicators 0).")
		case st != nil && st.Other:
			d.WriteString("encoded as the bucket of rare categories.")
		case st != nil && st.UnknownCode >= 0 && st.UnknownCode < len(st.Categories):
			fmt.Fprintf(&d, "encoded as %q, the most frequent training category.", st.Categories[st.UnknownCode])
		default:
			d.WriteString("encoded as the most frequent training category.")
		}
		if st != nil && len(st.Pooled) > 0 {
			fmt.Fprintf(&d, " %d rare training categories share one code.", len(st.Pooled))
		}
		s.Description = d.String()
		for _, in := range h.m.Inputs {
			if in.Name == h.names[i] && len(in.Categories) > 0 {
				for _, c := range in.Categories {
					s.Enum = append(s.Enum, ptr(c))
				}
				s.Enum = append(s.Enum, nil)
			}
		}
	}
	return s
}

// document builds the OpenAPI description of this model's endpoints.
// predicted is the response to the example record under each method.
func (h *handler) document() *document {
	m := h.m
	exs := h.examples()
	rec := h.exampleRecord(exs)
	recordsBody := json.RawMessage(fmt.Sprintf(`{"data":[%s],"method":"predict_proba"}`, rec))
	colsBody := h.columnarExample(exs)
	csvBody := h.csvExample(exs)
	pred, proba := h.exampleOutputs(recordsBody)

	record := &schema{Type: "object", Properties: map[string]*schema{}, Required: h.names,
		AdditionalProperties: ptr(false), Example: rec,
		Description: "One record: every input column, each exactly once. An unknown column, a missing column or a value of the wrong type is a 400 error naming it."}
	for i, name := range h.names {
		record.Properties[name] = h.columnSchema(i, exs[i])
	}
	methodSchema := &schema{Type: "string", Enum: []*string{ptr("predict"), ptr("predict_proba")}, Default: raw("predict"),
		Description: "predict answers {\"predictions\": [label, ...]}; predict_proba answers {\"classes\": [...], \"probabilities\": [[...], ...]}."}
	rows := &schema{Type: "array", MinItems: ptr(1), MaxItems: ptr(h.opts.MaxRows)}
	classEnum := make([]*string, len(m.Classes))
	for i := range m.Classes {
		classEnum[i] = &m.Classes[i]
	}
	k := len(m.Classes)
	schemas := map[string]*schema{
		"Record": record,
		"RecordsRequest": {Type: "object", Required: []string{"data"}, AdditionalProperties: ptr(false),
			Description: "Records, one object per row (the convention of Azure ML scoring scripts).",
			Properties:  map[string]*schema{"data": withItems(rows, ref("Record")), "method": methodSchema}},
		"ColumnsRequest": {Type: "object", Required: []string{"columns", "data"}, AdditionalProperties: ptr(false),
			Description: "Columnar: the column names once, then one array of values per row, in that order. Values follow the Record schema.",
			Properties: map[string]*schema{
				"columns": {Type: "array", Items: &schema{Type: "string", Enum: enumOf(h.names)}, MinItems: ptr(len(h.names)), MaxItems: ptr(len(h.names))},
				"data":    withItems(rows, &schema{Type: "array", Items: &schema{Nullable: true, Description: "a value of the column at the same position"}}),
				"method":  methodSchema}},
		"ScoreRequest": {OneOf: []*schema{ref("RecordsRequest"), ref("ColumnsRequest")}},
		"Predictions": {Type: "object", Required: []string{"predictions"}, AdditionalProperties: ptr(false),
			Description: "The most probable class of each row, in request order.",
			Properties: map[string]*schema{"predictions": {Type: "array",
				Items: &schema{Type: "string", Enum: classEnum}}}},
		"Probabilities": {Type: "object", Required: []string{"classes", "probabilities"}, AdditionalProperties: ptr(false),
			Description: "For each row, in request order, the probability of each class, in the order of classes.",
			Properties: map[string]*schema{
				"classes": {Type: "array", Items: &schema{Type: "string", Enum: classEnum}, MinItems: ptr(k), MaxItems: ptr(k)},
				"probabilities": {Type: "array", Items: &schema{Type: "array", MinItems: ptr(k), MaxItems: ptr(k),
					Items: &schema{Type: "number"}}}}},
		"ScoreResponse": {OneOf: []*schema{ref("Predictions"), ref("Probabilities")}},
		"FieldError": {Type: "object", Required: []string{"field", "message"},
			Properties: map[string]*schema{
				"field":   {Type: "string", Description: "the input column, or the request member (data, method, columns[i], body, Content-Type, Authorization)"},
				"row":     {Type: "integer", Description: "0-based index of the record, when the error is about one record"},
				"message": {Type: "string"}}},
		"Error": {Type: "object", Required: []string{"error"},
			Properties: map[string]*schema{
				"error":   {Type: "string"},
				"fields":  {Type: "array", Items: ref("FieldError")},
				"omitted": {Type: "integer", Description: "bad fields not listed (at most 100 are)"}}},
		"Status": {Type: "object", Description: "The model served and its training metrics."},
	}
	errResp := func(d string) *response {
		return &response{Description: d, Content: map[string]*mediaObject{"application/json": {Schema: ref("Error")}}}
	}
	score := &operation{
		Summary:     "Score records",
		OperationID: "score",
		Description: fmt.Sprintf("Send JSON records, JSON columns or CSV (Content-Type text/csv, a header line naming the columns, method in the query). "+
			"At most %d rows and %d bytes per request (413 beyond). Every input column must be present; null is a missing value, imputed as the "+
			"fitted pipeline does (see each column).", h.opts.MaxRows, h.opts.MaxBodyBytes),
		Parameters: []parameter{{Name: "method", In: "query", Schema: methodSchema,
			Description: "predict or predict_proba; the body's method, when given, wins"}},
		RequestBody: &requestBody{Required: true, Description: "the rows to score",
			Content: map[string]*mediaObject{
				"application/json": {Schema: ref("ScoreRequest"), Examples: map[string]*example{
					"records": {Summary: "one training row as a record", Value: recordsBody},
					"columns": {Summary: "the same row, columnar", Value: colsBody}}},
				"text/csv": {Schema: &schema{Type: "string"}, Example: raw(csvBody)}}},
		Responses: map[string]*response{
			"200": {Description: "scores", Content: map[string]*mediaObject{"application/json": {Schema: ref("ScoreResponse"),
				Examples: map[string]*example{
					"predict":       {Summary: "method predict", Value: pred},
					"predict_proba": {Summary: "method predict_proba", Value: proba}}}}},
			"400": errResp("malformed body, or bad fields (every one listed)"),
			"413": errResp("body or row count over the limit"),
			"415": errResp("Content-Type neither JSON nor CSV"),
			"500": errResp("the model failed"),
		},
	}
	get := func(id, summary, ct string, s *schema) *operation {
		return &operation{Summary: summary, OperationID: id, Responses: map[string]*response{
			"200": {Description: summary, Content: map[string]*mediaObject{ct: {Schema: s}}}}}
	}
	status := get("status", "The model served: experiment, trial, family, data hash, training metrics", "application/json", ref("Status"))
	metrics := get("metrics", "Prometheus metrics: requests, errors, latency", "text/plain", &schema{Type: "string"})
	ready := get("ready", "200 while serving; 503 once shutting down", "application/json", &schema{Type: "object"})
	ready.Responses["503"] = &response{Description: "draining: shutting down"}
	doc := &document{
		OpenAPI: "3.0.3",
		Info: info{
			Title:   fmt.Sprintf("automl model: %s, trial %d (%s)", m.Experiment, m.TrialID, m.Family),
			Version: fmt.Sprintf("trial-%d-data-%.12s", m.TrialID, m.DataSHA256),
			Description: fmt.Sprintf("Scores the target %q (classes %s) with a %s model trained on data with sha256 %s. "+
				"POST /score with records, columns or CSV.", m.Target, strings.Join(m.Classes, ", "), m.Family, m.DataSHA256),
		},
		Paths: map[string]*pathItem{
			"/score":        {Post: score},
			"/swagger.json": {Get: get("swagger", "This document", "application/json", &schema{Type: "object"})},
			"/openapi.json": {Get: get("openapi", "This document", "application/json", &schema{Type: "object"})},
			"/ready":        {Get: ready},
			"/status":       {Get: status},
			"/metrics":      {Get: metrics},
		},
		Components: components{Schemas: schemas},
	}
	if h.opts.BasePath != "" {
		doc.Servers = []server{{URL: h.opts.BasePath}}
	}
	if h.opts.Token != "" || h.opts.ExternalAuth {
		doc.Components.SecuritySchemes = map[string]*securityScheme{"bearerAuth": {Type: "http", Scheme: "bearer"}}
		for _, op := range []*operation{score, status, metrics} {
			op.Security = []map[string][]string{{"bearerAuth": {}}}
			op.Responses["401"] = errResp("missing or wrong bearer token")
		}
	}
	return doc
}

func withItems(s *schema, items *schema) *schema {
	c := *s
	c.Items = items
	return &c
}

func enumOf(vals []string) []*string {
	out := make([]*string, len(vals))
	for i := range vals {
		out[i] = &vals[i]
	}
	return out
}

func (h *handler) columnarExample(exs []json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	b.WriteString(`{"columns":`)
	b.Write(raw(h.names))
	b.WriteString(`,"data":[[`)
	b.Write(bytes.Join(bytesOf(exs), []byte(",")))
	b.WriteString(`]],"method":"predict"}`)
	return b.Bytes()
}

func bytesOf(exs []json.RawMessage) [][]byte {
	out := make([][]byte, len(exs))
	for i, e := range exs {
		out[i] = e
	}
	return out
}

func (h *handler) csvExample(exs []json.RawMessage) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(h.names)
	row := make([]string, len(exs))
	for i, e := range exs {
		var s string
		if json.Unmarshal(e, &s) != nil { // a number, boolean or null
			s = string(e)
			if s == "null" {
				s = ""
			}
		}
		row[i] = s
	}
	w.Write(row)
	w.Flush()
	return b.String()
}

// exampleOutputs scores the example request, so that the documented
// responses are the model's own; it falls back to the first class and
// uniform probabilities if the example cannot be scored.
func (h *handler) exampleOutputs(body json.RawMessage) (pred, proba json.RawMessage) {
	k := len(h.m.Classes)
	pred = json.RawMessage(fmt.Sprintf(`{"predictions":[%s]}`, h.labels[0]))
	uniform := make([]float64, k)
	for i := range uniform {
		uniform[i] = 1 / float64(k)
	}
	proba = json.RawMessage(fmt.Sprintf(`{"classes":%s,"probabilities":[%s]}`, h.classes, raw(uniform)))
	wk := new(work)
	q := &wk.q
	h.parseJSON(string(body), q)
	if len(q.errs) == 0 {
		h.transform(q, wk)
	}
	if len(q.errs) > 0 {
		h.log.Warn("serving: the example row from training does not score; documenting placeholders", "error", q.errs[0].Message)
		return pred, proba
	}
	P, err := h.predict(wk.x, 1)
	if err != nil {
		h.log.Warn("serving: the example row from training does not score", "error", err)
		return pred, proba
	}
	p, err := h.encode(nil, P, methodPredict)
	if err != nil {
		return pred, proba
	}
	pp, err := h.encode(nil, P, methodProba)
	if err != nil {
		return pred, proba
	}
	return bytes.TrimSpace(p), bytes.TrimSpace(pp)
}
