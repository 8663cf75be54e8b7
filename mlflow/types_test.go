package mlflow

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
)

func TestWireTypes(t *testing.T) {
	// int64 fields arrive as numbers (MLflow) or strings (protobuf JSON); both decode.
	var info RunInfo
	if err := json.Unmarshal([]byte(`{"run_id":"r","start_time":"1700000000000","end_time":1700000000001}`), &info); err != nil {
		t.Fatal(err)
	}
	if info.StartTime != 1700000000000 || info.EndTime != 1700000000001 {
		t.Errorf("%+v", info)
	}
	if err := json.Unmarshal([]byte(`{"start_time":"soon"}`), &info); err == nil {
		t.Error("a non-numeric start_time decoded")
	}
	for _, v := range []float64{0.25, math.NaN(), math.Inf(1), math.Inf(-1), 1e300} {
		b, err := json.Marshal(Metric{Key: "k", Value: v, Timestamp: 5, Step: 2})
		if err != nil {
			t.Fatal(err)
		}
		var back Metric
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !(back.Value == v || math.IsNaN(v) && math.IsNaN(back.Value)) || back.Timestamp != 5 || back.Step != 2 {
			t.Errorf("%v -> %s -> %+v", v, b, back)
		}
	}
	ms := MetricsFromMap(map[string]float64{"roc_auc": 0.8, "log loss": 0.4}, 7, 1)
	if fmt.Sprint(ms) != "[{log loss 0.4 7 1} {roc_auc 0.8 7 1}]" {
		t.Errorf("MetricsFromMap = %v", ms)
	}
	if ts := TagsFromMap(map[string]string{"b": "2", "a:x": "1"}); fmt.Sprint(ts) != "[{a_x 1} {b 2}]" {
		t.Errorf("TagsFromMap = %v", ts)
	}
}
