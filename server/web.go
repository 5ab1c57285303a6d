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

// keyCookie holds the API key for the chat page (SameSite=Strict, set by
// the login form's script).
const keyCookie = "hearth_api_key"

// loginHTML is what GET / answers without the key when the server has
// one: a form that asks for it, keeps it in the browser (localStorage, for
// the page's API calls, and the cookie, for loading the page) and reloads.
// A key the browser already keeps is used at once.
const loginHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>hearth: API key</title>
<style>body{font:15px system-ui,sans-serif;display:flex;height:100vh;margin:0;align-items:center;justify-content:center;background:#faf9f7;color:#1d1d1f}
form{display:flex;flex-direction:column;gap:10px;width:320px}h1{color:#c2410c;margin:0;font-size:20px}
input,button{font:inherit;padding:8px 10px;border:1px solid #e3e1dc;border-radius:8px}button{background:#c2410c;color:#fff;border-color:#c2410c;cursor:pointer}
#err{color:#dc2626;font-size:13px;min-height:1em}</style></head>
<body><form id="login"><h1>hearth</h1><label for="key">This server needs an API key.</label>
<input id="key" type="password" autocomplete="current-password" autofocus required><button type="submit">Open</button><div id="err"></div></form>
<script>
"use strict";
function keep(k) {
  localStorage.setItem("hearth.apiKey", k);
  document.cookie = "` + keyCookie + `=" + encodeURIComponent(k) + "; path=/; SameSite=Strict";
}
const saved = localStorage.getItem("hearth.apiKey");
if (saved && !sessionStorage.getItem("hearth.tried")) {
  sessionStorage.setItem("hearth.tried", "1");
  keep(saved);
  location.reload();
} else if (saved) {
  document.getElementById("err").textContent = "The key this browser kept was not accepted.";
}
document.getElementById("login").onsubmit = e => {
  e.preventDefault();
  sessionStorage.removeItem("hearth.tried");
  keep(document.getElementById("key").value);
  location.reload();
};
</script></body></html>
`

func writeLogin(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	w.Write([]byte(loginHTML))
}
