package server

import (
	_ "embed"
	"net/http"
)

// indexHTML is the chat page: one self-contained file (no CDN), so the
// binary serves it offline.
//
//go:embed web/index.html
var indexHTML []byte

func (s *Server) handleWeb(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(indexHTML)
}
