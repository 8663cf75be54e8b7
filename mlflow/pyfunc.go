package mlflow

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
)

// PyFuncLoader is the loader module of the python_function flavor, written to
// code/goautoml_pyfunc.py: its _load_pyfunc(path) returns a model whose
// predict(DataFrame, params=None) scores through an `automl serve` child
// process (see the module's documentation).
//
//go:embed pyfunc/goautoml_pyfunc.py
var PyFuncLoader []byte

// PyFuncModule is the loader module's name (MLmodel's loader_module).
const PyFuncModule = "goautoml_pyfunc"

// Files of the python_function flavor inside a model directory.
const (
	pyfuncCode   = "code"
	pyfuncBinary = "bin/automl"
)

// The environment files MLflow reads to rebuild the loader's Python
// environment (mlflow models serve with a virtualenv or conda env manager).
const (
	pythonEnv = `python: 3.11
build_dependencies:
- pip
dependencies:
- -r requirements.txt
`
	requirements = "mlflow>=2,<3\npandas\n"
	condaEnv     = `name: mlflow-env
channels:
- conda-forge
dependencies:
- python=3.11
- pip
- pip:
  - mlflow>=2,<3
  - pandas
`
)

// writePyFunc writes the loader module, the environment files and, when
// binary is set, a copy of the automl binary; it returns the flavor's MLmodel
// section.
func writePyFunc(dir, data, binary string) (map[string]any, error) {
	code := filepath.Join(dir, pyfuncCode)
	if err := os.MkdirAll(code, 0o755); err != nil {
		return nil, err
	}
	files := []struct {
		name string
		data []byte
	}{
		{filepath.Join(code, PyFuncModule+".py"), PyFuncLoader},
		{filepath.Join(dir, "python_env.yaml"), []byte(pythonEnv)},
		{filepath.Join(dir, "requirements.txt"), []byte(requirements)},
		{filepath.Join(dir, "conda.yaml"), []byte(condaEnv)},
	}
	for _, f := range files {
		if err := os.WriteFile(f.name, f.data, 0o644); err != nil {
			return nil, err
		}
	}
	if binary != "" {
		dst := filepath.Join(dir, filepath.FromSlash(pyfuncBinary))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := copyFile(binary, dst); err != nil {
			return nil, fmt.Errorf("include binary: %w", err)
		}
		if err := os.Chmod(dst, 0o755); err != nil {
			return nil, err
		}
	}
	return map[string]any{
		"loader_module":  PyFuncModule,
		"code":           pyfuncCode,
		"data":           data,
		"env":            map[string]string{"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
		"python_version": "3.11",
	}, nil
}
