package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A numeric target is refused in words a person can act on, and no page
// shows where the server keeps the upload (issue 17, finding 11).
func TestSetupMessages(t *testing.T) {
	s, c := newTestServer(t, Config{})
	var amounts, only strings.Builder
	amounts.WriteString("a,price\n")
	only.WriteString("class\n")
	for i := range 60 {
		fmt.Fprintf(&amounts, "%d,%d.%02d\n", i%7, 10+i*3, i)
		only.WriteString([]string{"yes\n", "no\n"}[i%2])
	}
	for _, tc := range []struct{ file, target, want string }{
		{amounts.String(), "price", "predicts categories only"},
		{only.String(), "class", "no column besides the target"},
	} {
		code, body, resp := c.upload(c.csrf(), "data.csv", []byte(tc.file))
		wantStatus(t, "upload", code, http.StatusSeeOther, body)
		code, body, _ = c.get(resp.Header.Get("Location") + "?target=" + tc.target)
		wantStatus(t, "setup", code, http.StatusUnprocessableEntity, body)
		if !strings.Contains(body, tc.want) || !strings.Contains(body, "data.csv") {
			t.Errorf("setup page does not say %q about data.csv:\n%s", tc.want, body)
		}
		if strings.Contains(body, s.cfg.Runs) || strings.Contains(body, uploadsDir) {
			t.Errorf("setup page shows the server's folder %s", s.cfg.Runs)
		}
	}
}
