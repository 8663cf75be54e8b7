package notebookgen

import (
	"encoding/json"
	"strings"
)

// Notebook is an nbformat 4.5 document.
type Notebook struct {
	Cells         []Cell   `json:"cells"`
	Metadata      Metadata `json:"metadata"`
	NBFormat      int      `json:"nbformat"`
	NBFormatMinor int      `json:"nbformat_minor"`
}

// Metadata is the notebook-level metadata: which kernel runs it.
type Metadata struct {
	KernelSpec   KernelSpec   `json:"kernelspec"`
	LanguageInfo LanguageInfo `json:"language_info"`
}

// KernelSpec names the Jupyter kernel.
type KernelSpec struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Language    string `json:"language"`
}

// LanguageInfo describes the notebook's code language.
type LanguageInfo struct {
	Name          string `json:"name"`
	FileExtension string `json:"file_extension"`
	MimeType      string `json:"mimetype"`
}

// Cell kinds.
const (
	Markdown = "markdown"
	Code     = "code"
)

// Cell is one markdown or code cell. Source is the cell's text.
type Cell struct {
	ID     string
	Type   string
	Source string
}

// MarshalJSON writes the cell as nbformat expects: code cells carry an empty
// output list and a null execution count, markdown cells neither.
func (c Cell) MarshalJSON() ([]byte, error) {
	src := splitLines(c.Source)
	if c.Type == Code {
		return json.Marshal(struct {
			ID             string   `json:"id"`
			CellType       string   `json:"cell_type"`
			Metadata       struct{} `json:"metadata"`
			ExecutionCount *int     `json:"execution_count"`
			Outputs        []any    `json:"outputs"`
			Source         []string `json:"source"`
		}{ID: c.ID, CellType: c.Type, Outputs: []any{}, Source: src})
	}
	return json.Marshal(struct {
		ID       string   `json:"id"`
		CellType string   `json:"cell_type"`
		Metadata struct{} `json:"metadata"`
		Source   []string `json:"source"`
	}{ID: c.ID, CellType: c.Type, Source: src})
}

// splitLines cuts s into lines that keep their "\n" (the last one has none),
// as Jupyter writes sources.
func splitLines(s string) []string {
	out := []string{}
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// GoNB is the kernel metadata of GoNB, the Go Jupyter kernel.
var GoNB = Metadata{
	KernelSpec:   KernelSpec{Name: "gonb", DisplayName: "Go (gonb)", Language: "go"},
	LanguageInfo: LanguageInfo{Name: "go", FileExtension: ".go", MimeType: "text/x-go"},
}

// Marshal returns the notebook as indented JSON ending in a newline.
func (n *Notebook) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(n, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// CodeCells returns the sources of the code cells, in order.
func (n *Notebook) CodeCells() []string {
	var out []string
	for _, c := range n.Cells {
		if c.Type == Code {
			out = append(out, c.Source)
		}
	}
	return out
}
