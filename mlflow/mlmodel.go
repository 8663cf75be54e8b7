package mlflow

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goautoml/automl/dataset"
	"gopkg.in/yaml.v3"
)

// ColumnType is an MLflow column type of a model signature.
type ColumnType string

// The column types MLflow's signature accepts (numpy-style names such as float64 are refused).
const (
	TypeBoolean  ColumnType = "boolean"
	TypeInteger  ColumnType = "integer"
	TypeLong     ColumnType = "long"
	TypeFloat    ColumnType = "float"
	TypeDouble   ColumnType = "double"
	TypeString   ColumnType = "string"
	TypeBinary   ColumnType = "binary"
	TypeDatetime ColumnType = "datetime"
)

// Valid reports whether t is one of MLflow's column types.
func (t ColumnType) Valid() bool {
	switch t {
	case TypeBoolean, TypeInteger, TypeLong, TypeFloat, TypeDouble, TypeString, TypeBinary, TypeDatetime:
		return true
	}
	return false
}

// KindType maps a dataset column kind to the MLflow type of its values as a scorer receives
// them: numeric → double, boolean → boolean, datetime → datetime, the rest → string.
func KindType(k dataset.Kind) ColumnType {
	switch k {
	case dataset.Numeric:
		return TypeDouble
	case dataset.Boolean:
		return TypeBoolean
	case dataset.Datetime:
		return TypeDatetime
	}
	return TypeString
}

// ColumnSpec is one column of a signature, written as MLflow's JSON column spec
// {"type": ..., "name": ..., "required": ...}.
type ColumnSpec struct {
	Type     ColumnType `json:"type"`
	Name     string     `json:"name"`
	Required bool       `json:"required"`
}

// ModelInfo describes an MLflow Model directory to write.
type ModelInfo struct {
	// Flavor names this product's flavor, e.g. "goautoml". python_function is refused: it
	// promises a Python loader this model does not have.
	Flavor string
	// FlavorVersion is the product version written in the flavor ("" omits it).
	FlavorVersion string
	// FlavorConfig adds string entries to the flavor section (e.g. "model_family": "gbdt").
	FlavorConfig map[string]string
	// BundleDir is a local model bundle directory, copied into the model directory under
	// BundleName (default "bundle"); the flavor's "data" entry points at it.
	BundleDir  string
	BundleName string
	// ArtifactPath is where the directory goes under the run's artifacts (default "model").
	ArtifactPath string
	// Inputs and Outputs are the signature's columns.
	Inputs  []ColumnSpec
	Outputs []ColumnSpec
	// Example is one input row, the cell text of each input column in order ("" = missing);
	// nil writes no input example.
	Example []string
	// RunID is the MLflow run the model belongs to ("" omits it).
	RunID string
	// UUID is the model_uuid; "" derives a 32-hex-digit UUID (version 4 layout) from Seed, the
	// run id and Created, so the same inputs give the same UUID.
	UUID string
	Seed uint64
	// Created is written as utc_time_created; zero means now.
	Created time.Time
	// PythonFunction adds MLflow's python_function flavor beside Flavor: a loader module
	// under code/ (PyFuncLoader) that scores through the automl binary, so that
	// mlflow.pyfunc.load_model and mlflow models serve accept the model.
	PythonFunction bool
	// Binary, with PythonFunction, is an automl binary (a static build) copied to
	// bin/automl, so the model runs where no automl is installed.
	Binary string
	// Files are extra files written into the model directory by relative path, such as
	// the ONNX form of the model ("model.onnx").
	Files map[string][]byte
}

var flavorName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

func (m *ModelInfo) check() error {
	var errs []error
	if !flavorName.MatchString(m.Flavor) {
		errs = append(errs, fmt.Errorf("flavor %q is not a valid flavor name", m.Flavor))
	}
	if m.Flavor == "python_function" {
		errs = append(errs, errors.New("flavor python_function is written by PythonFunction beside this product's own flavor"))
	}
	if m.Binary != "" && !m.PythonFunction {
		errs = append(errs, errors.New("an included binary is only used by the python_function flavor"))
	}
	for name := range m.Files {
		if checkRelPath(name) != nil {
			errs = append(errs, fmt.Errorf("extra file %q is not a relative path", name))
		}
	}
	if m.BundleDir == "" {
		errs = append(errs, errors.New("no bundle directory"))
	}
	if m.BundleName != "" && checkRelPath(m.BundleName) != nil {
		errs = append(errs, fmt.Errorf("bundle name %q is not a relative path", m.BundleName))
	}
	if len(m.Inputs) == 0 || len(m.Outputs) == 0 {
		errs = append(errs, errors.New("signature needs at least one input and one output column"))
	}
	for _, side := range []struct {
		what string
		cols []ColumnSpec
	}{{"input", m.Inputs}, {"output", m.Outputs}} {
		what, cols := side.what, side.cols
		seen := map[string]bool{}
		for i, c := range cols {
			if c.Name == "" {
				errs = append(errs, fmt.Errorf("%s column %d has no name", what, i))
			}
			if seen[c.Name] {
				errs = append(errs, fmt.Errorf("%s column %q appears twice", what, c.Name))
			}
			seen[c.Name] = true
			if !c.Type.Valid() {
				errs = append(errs, fmt.Errorf("%s column %q: type %q is not an MLflow column type (boolean, integer, long, float, double, string, binary, datetime)", what, c.Name, c.Type))
			}
		}
	}
	if m.Example != nil && len(m.Example) != len(m.Inputs) {
		errs = append(errs, fmt.Errorf("example row has %d values for %d input columns", len(m.Example), len(m.Inputs)))
	}
	return errors.Join(errs...)
}

// exampleValue converts the cell text s of column c to its JSON value.
func exampleValue(c ColumnSpec, s string) (any, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	switch c.Type {
	case TypeBoolean:
		switch strings.ToLower(s) {
		case "true", "t", "yes", "y", "1":
			return true, nil
		case "false", "f", "no", "n", "0":
			return false, nil
		}
		return nil, fmt.Errorf("example column %q: %q is not a boolean", c.Name, s)
	case TypeInteger, TypeLong:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("example column %q: %q is not an integer", c.Name, s)
		}
		return v, nil
	case TypeFloat, TypeDouble:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("example column %q: %q is not a number", c.Name, s)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil
		}
		return v, nil
	}
	return s, nil
}

// mlmodelFile is the MLmodel document; fields in the order MLflow writes them (sorted keys).
type mlmodelFile struct {
	ArtifactPath          string            `yaml:"artifact_path"`
	Flavors               map[string]any    `yaml:"flavors"`
	ModelSizeBytes        int64             `yaml:"model_size_bytes"`
	ModelUUID             string            `yaml:"model_uuid"`
	RunID                 string            `yaml:"run_id,omitempty"`
	SavedInputExampleInfo *exampleInfo      `yaml:"saved_input_example_info,omitempty"`
	Signature             map[string]string `yaml:"signature"`
	UTCTimeCreated        string            `yaml:"utc_time_created"`
}

type exampleInfo struct {
	ArtifactPath     string `yaml:"artifact_path"`
	PandasOrient     string `yaml:"pandas_orient"`
	ServingInputPath string `yaml:"serving_input_path"`
	Type             string `yaml:"type"`
}

type splitFrame struct {
	Columns []string `json:"columns"`
	Data    [][]any  `json:"data"`
}

// WriteModelDir writes an MLflow Model directory at dir: the MLmodel file (artifact_path,
// flavors, model_size_bytes, model_uuid, run_id, saved_input_example_info, signature with
// inputs and outputs as JSON column-spec strings, utc_time_created), input_example.json
// (pandas split orient), serving_input_example.json ({"dataframe_split": ...}) and a copy of
// the bundle. dir must not exist or be empty; the directory is assembled beside it and
// renamed into place, so a failure leaves no half-written model.
func WriteModelDir(dir string, m ModelInfo) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("mlflow: model directory %s: %w", dir, err)
	}
	if m.BundleName == "" {
		m.BundleName = "bundle"
	}
	if m.ArtifactPath == "" {
		m.ArtifactPath = "model"
	}
	if m.Created.IsZero() {
		m.Created = time.Now()
	}
	if m.UUID == "" {
		m.UUID = modelUUID(m.Seed, m.RunID, m.Created)
	}
	if entries, err := os.ReadDir(dir); err == nil {
		if len(entries) > 0 {
			return fmt.Errorf("mlflow: model directory %s exists and is not empty", dir)
		}
		if err := os.Remove(dir); err != nil {
			return fmt.Errorf("mlflow: model directory: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mlflow: model directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("mlflow: model directory: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("mlflow: model directory: %w", err)
	}
	if err := fillModelDir(tmp, m); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("mlflow: model directory %s: %w", dir, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("mlflow: model directory: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("mlflow: model directory: %w", err)
	}
	return nil
}

func fillModelDir(dir string, m ModelInfo) error {
	if err := copyTree(m.BundleDir, filepath.Join(dir, filepath.FromSlash(m.BundleName))); err != nil {
		return fmt.Errorf("copy bundle: %w", err)
	}
	for name, data := range m.Files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	var pyfunc map[string]any
	if m.PythonFunction {
		var err error
		if pyfunc, err = writePyFunc(dir, m.BundleName, m.Binary); err != nil {
			return err
		}
	}
	var info *exampleInfo
	if m.Example != nil {
		frame := splitFrame{Data: [][]any{make([]any, len(m.Inputs))}}
		for i, c := range m.Inputs {
			frame.Columns = append(frame.Columns, c.Name)
			v, err := exampleValue(c, m.Example[i])
			if err != nil {
				return err
			}
			frame.Data[0][i] = v
		}
		if err := writeJSON(filepath.Join(dir, "input_example.json"), frame); err != nil {
			return err
		}
		serving := struct {
			DataframeSplit splitFrame `json:"dataframe_split"`
		}{frame}
		if err := writeJSON(filepath.Join(dir, "serving_input_example.json"), serving); err != nil {
			return err
		}
		info = &exampleInfo{ArtifactPath: "input_example.json", PandasOrient: "split",
			ServingInputPath: "serving_input_example.json", Type: "dataframe"}
	}
	in, err := json.Marshal(m.Inputs)
	if err != nil {
		return err
	}
	out, err := json.Marshal(m.Outputs)
	if err != nil {
		return err
	}
	size, err := treeSize(dir)
	if err != nil {
		return err
	}
	flavor := map[string]any{"data": m.BundleName, "format_version": 1}
	for k, v := range m.FlavorConfig {
		if k == "data" || k == "format_version" {
			return fmt.Errorf("flavor config key %q is reserved", k)
		}
		flavor[k] = v
	}
	if m.FlavorVersion != "" {
		flavor[m.Flavor+"_version"] = m.FlavorVersion
	}
	flavors := map[string]any{m.Flavor: flavor}
	if pyfunc != nil {
		flavors["python_function"] = pyfunc
	}
	doc := mlmodelFile{
		ArtifactPath:          m.ArtifactPath,
		Flavors:               flavors,
		ModelSizeBytes:        size,
		ModelUUID:             m.UUID,
		RunID:                 m.RunID,
		SavedInputExampleInfo: info,
		Signature:             map[string]string{"inputs": string(in), "outputs": string(out)},
		UTCTimeCreated:        m.Created.UTC().Format("2006-01-02 15:04:05.000000"),
	}
	f, err := os.Create(filepath.Join(dir, "MLmodel"))
	if err != nil {
		return err
	}
	enc := yaml.NewEncoder(f)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		f.Close()
		return fmt.Errorf("write MLmodel: %w", err)
	}
	if err := enc.Close(); err != nil {
		f.Close()
		return fmt.Errorf("write MLmodel: %w", err)
	}
	return f.Close()
}

// modelUUID derives a UUID (version 4 layout, 32 hex digits as MLflow writes them) from seed,
// run id and creation time.
func modelUUID(seed uint64, runID string, created time.Time) string {
	h := fnv.New64a()
	io.WriteString(h, runID)
	io.WriteString(h, created.UTC().Format(time.RFC3339Nano))
	r := rand.New(rand.NewPCG(seed, h.Sum64()))
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// copyTree copies the regular files and directories under src to dst. Other file types
// (symbolic links, devices) are an error naming the file.
func copyTree(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", src)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return copyFile(p, target)
		}
		return fmt.Errorf("%s: only regular files and directories can be copied", p)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func treeSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	return n, err
}
