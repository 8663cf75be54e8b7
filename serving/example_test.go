package serving_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/goautoml/automl/serving"
)

// exampleBundle is set by the package's tests to a trained bundle folder.
var exampleBundle = func() string { return serving.TrainedBundleForTests() }

func ExampleNew() {
	m, err := serving.Load(exampleBundle()) // a trial folder, bundle folder, runs/<exp>/best or .zip
	if err != nil {
		fmt.Println(err)
		return
	}
	h := serving.New(m, serving.Options{MaxRows: 1000})

	body := `{"data": [{"age": 31, "income": 4353.7, "member": true, "signup": "2021-05-19", "plan": "basic", "city": "Oslo"},
	                   {"age": 75, "income": 4800, "member": false, "signup": null, "plan": null, "city": "Paris"}]}`
	req := httptest.NewRequest("POST", "/score", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())

	req = httptest.NewRequest("POST", "/score", strings.NewReader(`{"data": [{"age": "thirty", "income": 4353.7,
	"member": true, "signup": "2021-05-19", "plan": "basic", "city": "Oslo"}]}`))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 200 {"predictions":["no","yes"]}
	//
	// 400 {"error":"invalid request: 1 bad field","fields":[{"field":"age","row":0,"message":"data[0]: column \"age\" wants a number or null, got \"thirty\""}]}
}
