package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed templates static
var assets embed.FS

// handler serves the pages; one file per page holds its methods.
type handler struct{ s *Server }

// page is what every page's view embeds: filled in by render.
type page struct {
	CSRF string
}

// setPage lets render fill in the embedded page of any view.
func (p *page) setPage(c page) { *p = c }

type pager interface{ setPage(page) }

var funcs = template.FuncMap{
	"score":   formatScore,
	"seconds": formatSeconds,
	"when":    func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") },
	"pct":     func(a, b int) string { return formatPct(a, b) },
	"num":     formatNum,
	"join":    strings.Join,
	"metric":  metricLabel,
}

// parsePages parses each page with the base layout: page name -> template.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimPrefix(n, "templates/")
		if name == "base.html" || name == "partials.html" {
			continue
		}
		t, err := template.New("base.html").Funcs(funcs).ParseFS(assets, "templates/base.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// render executes a page into a buffer first, so a failing template never
// sends half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v any) {
	if p, ok := v.(pager); ok {
		p.setPage(page{CSRF: csrfToken(r)})
	}
	t := h.s.pages[name]
	var buf bytes.Buffer
	if t == nil {
		h.s.log.Error("no such template", "name", name)
		http.Error(w, "internal error: no page "+name, http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "base.html", v); err != nil {
		h.s.log.Error("render", "page", name, "err", err)
		http.Error(w, "internal error while showing this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type errorView struct {
	page
	Status  int
	Title   string
	Message string
}

// fail shows an error page (plain text to clients that do not ask for HTML).
func (h *handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Error(w, msg, status)
		return
	}
	h.render(w, r, status, "error.html", &errorView{Status: status, Title: http.StatusText(status), Message: msg})
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.fail(w, r, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
}

func formatScore(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

func formatSeconds(s float64) string {
	switch {
	case s < 10:
		return strconv.FormatFloat(s, 'f', 2, 64) + " s"
	case s < 120:
		return strconv.FormatFloat(s, 'f', 0, 64) + " s"
	}
	return (time.Duration(s) * time.Second).Round(time.Second).String()
}

func formatPct(a, b int) string {
	if b == 0 {
		return "0%"
	}
	return strconv.FormatFloat(100*float64(a)/float64(b), 'f', 1, 64) + "%"
}

func formatNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strconv.FormatFloat(v, 'g', 5, 64)
}
