package mlflow

import (
	"context"
	"strings"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/mlflow/mlflowtest"
)

// TestExportONNX: with ONNX set, every MLflow Model of a family ONNX expresses holds
// model.onnx, and knn's goes without; every model has the python_function loader.
func TestExportONNX(t *testing.T) {
	dir := germanCredit(t)
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 8})
	defer s.Close()
	if _, err := Export(context.Background(), exportClient(s, 3), dir, ExportOptions{ONNX: true}); err != nil {
		t.Fatal(err)
	}
	st, _ := automl.OpenStore(dir)
	trials, _ := st.Trials()
	families := map[string]string{} // run id -> family
	for _, r := range s.Runs() {
		if f := r.Tags[TagFamily]; f != "" {
			families[r.ID] = f
		}
	}
	onnxModels, loaders := map[string]bool{}, 0
	for _, p := range s.ArtifactPaths() {
		for id := range families {
			if strings.Contains(p, "/"+id+"/") {
				switch {
				case strings.HasSuffix(p, "/model/model.onnx"):
					onnxModels[id] = true
				case strings.HasSuffix(p, "/model/code/"+PyFuncModule+".py"):
					loaders++
				}
			}
		}
	}
	withBundle := 0
	for id, f := range families {
		mlmodel := false
		for _, p := range s.ArtifactPaths() {
			mlmodel = mlmodel || strings.HasSuffix(p, "/"+id+"/artifacts/model/MLmodel")
		}
		if !mlmodel {
			continue
		}
		withBundle++
		if onnxModels[id] != (f != "knn") {
			t.Errorf("run %s (%s): model.onnx present %v", id, f, onnxModels[id])
		}
	}
	t.Logf("%d MLflow Models, %d with model.onnx", withBundle, len(onnxModels))
	if withBundle == 0 || loaders != withBundle {
		t.Errorf("%d MLflow Models, %d with the pyfunc loader (of %d trials)", withBundle, loaders, len(trials))
	}
}
