package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
)

// Cookie and field names of the security layers.
const (
	sessionCookie = "automl_session" // random per browser; keys its CSRF token
	authCookie    = "automl_auth"    // proof of login when a token is required
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
	maxFormBytes  = 1 << 20
)

type csrfKey struct{}

// csrfToken is the token forms of this request must send back.
func csrfToken(r *http.Request) string {
	t, _ := r.Context().Value(csrfKey{}).(string)
	return t
}

// secure wraps the routes: security headers, the session cookie, the token
// check and CSRF checks on every POST.
func (s *Server) secure(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(&handler{s: s}).fail(w, r, http.StatusForbidden, "This request came from another site and was refused.")
	}))
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")

		session := ""
		if c, err := r.Cookie(sessionCookie); err == nil && len(c.Value) == 43 {
			session = c.Value
		} else {
			b := make([]byte, 32)
			rand.Read(b)
			session = base64.RawURLEncoding.EncodeToString(b)
			http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: session, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
			// A request without the cookie cannot carry a valid token either.
		}
		want := s.mac("csrf", session)
		r = r.WithContext(context.WithValue(r.Context(), csrfKey{}, want))
		h := &handler{s: s}

		public := r.URL.Path == "/login" || strings.HasPrefix(r.URL.Path, "/static/")
		if s.cfg.Token != "" && !public && !s.authorized(r) {
			if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
				h.render(w, r, http.StatusUnauthorized, "login.html", &loginView{Next: r.URL.RequestURI()})
				return
			}
			h.fail(w, r, http.StatusUnauthorized, "This server needs its access token: log in at /login.")
			return
		}
		// The deployed models' API (/api/) takes requests from programs,
		// which carry the token, not a form's CSRF token; browsers' cross-site
		// requests are refused by the cross-origin protection above.
		if r.Method == http.MethodPost && !strings.HasPrefix(r.URL.Path, "/api/") && !s.csrfOK(r, want) {
			h.fail(w, r, http.StatusForbidden, "The form's security token is missing or out of date. Go back, reload the page and try again.")
			return
		}
		next.ServeHTTP(w, r)
	})
	return cop.Handler(inner)
}

// csrfOK checks a POST's token: the header, or the form field. Multipart
// uploads are checked by the upload handler (and files to score by
// handler.receive), which stream the body and read the token from the
// form's first part.
func (s *Server) csrfOK(r *http.Request, want string) bool {
	if got := r.Header.Get(csrfHeader); got != "" {
		return equal(got, want)
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		// ... and so does the form that scores a file with a model.
		return r.URL.Path == "/uploads" || strings.HasPrefix(r.URL.Path, "/experiments/") && strings.HasSuffix(r.URL.Path, "/score")
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return false
	}
	return equal(r.PostForm.Get(csrfField), want)
}

// authorized tells whether the request carries the token: the login cookie
// or an Authorization: Bearer header.
func (s *Server) authorized(r *http.Request) bool {
	if c, err := r.Cookie(authCookie); err == nil && equal(c.Value, s.loginProof()) {
		return true
	}
	if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return equal(b, s.cfg.Token)
	}
	return false
}

// loginProof is the login cookie's value: derived from the token (so it
// survives a restart with the same token) without revealing it.
func (s *Server) loginProof() string {
	m := hmac.New(sha256.New, []byte(s.cfg.Token))
	m.Write([]byte("automl ui login"))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) mac(purpose, v string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(purpose + "\x00" + v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// localPath returns next when it is a path on this server, and "/"
// otherwise. Browsers drop tabs and newlines from a URL and read a
// backslash as a slash, so "/\t/evil.example" or "/\\evil.example" would
// take them to another host: any control character or backslash, a
// scheme, a host or a leading "//" is refused.
func localPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return next
}

type loginView struct {
	page
	Next  string
	Error string
}

func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "login.html", &loginView{Next: r.URL.Query().Get("next")})
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.PostFormValue("next"))
	if h.s.cfg.Token == "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if !equal(r.PostFormValue("token"), h.s.cfg.Token) {
		h.render(w, r, http.StatusUnauthorized, "login.html", &loginView{Next: next, Error: "That token is not the one this server was started with."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: authCookie, Value: h.s.loginProof(), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, next, http.StatusSeeOther)
}
