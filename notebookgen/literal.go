package notebookgen

import (
	"fmt"
	"math"
	"path"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
)

// constNames maps values of the module's named string types to the exported
// constants that spell them, so the generated code reads like hand-written code.
var constNames = map[any]string{
	dataset.Numeric: "dataset.Numeric", dataset.Boolean: "dataset.Boolean",
	dataset.Categorical: "dataset.Categorical", dataset.Datetime: "dataset.Datetime",
	dataset.Text: "dataset.Text", dataset.ID: "dataset.ID",
}

// constName is the exported constant that spells v, if any. A registered
// model family with a Package is spelled by that package's Name constant
// (importing the package also registers the family in the generated code).
func constName(v any) (string, bool) {
	if f, ok := v.(models.Family); ok {
		if d, ok := models.Lookup(f); ok && d.Package != "" {
			return path.Base(d.Package) + ".Name", true
		}
		return "", false
	}
	name, ok := constNames[v]
	return name, ok
}

// modelImports are the packages, besides models, that the Go literal of s
// uses: the family's package and the package of its params type, sorted.
func modelImports(s models.Spec) []string {
	var out []string
	if d, ok := models.Lookup(s.Family); ok && d.Package != "" {
		out = append(out, d.Package)
	}
	if s.Params != nil {
		t := reflect.TypeOf(s.Params)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if p := t.PkgPath(); p != "" && p != reflect.TypeFor[models.Spec]().PkgPath() && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// goLiteral writes v as a Go expression with every struct field named, so a
// reader sees (and can edit) each setting. indent is the indentation of the
// line the literal starts on.
func goLiteral(v any, indent string) (string, error) {
	var b strings.Builder
	if err := writeLiteral(&b, reflect.ValueOf(v), indent); err != nil {
		return "", err
	}
	return b.String(), nil
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + typeName(t.Elem())
	case reflect.Slice:
		return "[]" + typeName(t.Elem())
	case reflect.Map:
		return "map[" + typeName(t.Key()) + "]" + typeName(t.Elem())
	}
	if t.PkgPath() == "" {
		return t.Name()
	}
	return path.Base(t.PkgPath()) + "." + t.Name()
}

func writeLiteral(b *strings.Builder, v reflect.Value, indent string) error {
	if v.Kind() == reflect.String {
		if name, ok := constName(v.Interface()); ok {
			b.WriteString(name)
			return nil
		}
	}
	t := v.Type()
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		return writeLiteral(b, v.Elem(), indent)
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		b.WriteByte('&')
		return writeLiteral(b, v.Elem(), indent)
	case reflect.Struct:
		b.WriteString(typeName(t) + "{\n")
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			b.WriteString(indent + "\t" + f.Name + ": ")
			if err := writeLiteral(b, v.Field(i), indent+"\t"); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
			b.WriteString(",\n")
		}
		b.WriteString(indent + "}")
	case reflect.Slice:
		if v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		b.WriteString(typeName(t) + "{\n")
		for i := range v.Len() {
			b.WriteString(indent + "\t")
			if err := writeLiteral(b, v.Index(i), indent+"\t"); err != nil {
				return err
			}
			b.WriteString(",\n")
		}
		b.WriteString(indent + "}")
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		b.WriteString(typeName(t) + "{\n")
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			b.WriteString(indent + "\t")
			if err := writeLiteral(b, k, indent+"\t"); err != nil {
				return err
			}
			b.WriteString(": ")
			if err := writeLiteral(b, v.MapIndex(k), indent+"\t"); err != nil {
				return err
			}
			b.WriteString(",\n")
		}
		b.WriteString(indent + "}")
	case reflect.String:
		if t.PkgPath() != "" {
			b.WriteString(typeName(t) + "(" + strconv.Quote(v.String()) + ")")
		} else {
			b.WriteString(strconv.Quote(v.String()))
		}
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		s, err := floatLiteral(v.Float())
		if err != nil {
			return err
		}
		b.WriteString(s)
	default:
		return fmt.Errorf("notebookgen: cannot write a %s as Go code", t)
	}
	return nil
}

// floatLiteral is the shortest Go literal that reads back as exactly f.
func floatLiteral(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("notebookgen: %v has no Go literal", f)
	}
	return strconv.FormatFloat(f, 'g', -1, 64), nil
}
