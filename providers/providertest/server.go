package providertest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Server is the HTTP side of a provider's fake: an httptest.Server that can record the
// requests it serves, so that BenchmarkSync can replay them. The fake that answers them
// stays in the provider's package; Server holds only what every fake shares.
type Server struct {
	*httptest.Server

	mu  sync.Mutex
	rec *recording // nil while not recording
}

// NewServer starts a Server answering with h and closes it when the test ends.
func NewServer(t testing.TB, h http.Handler) *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(h, w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Request is one request a Server served while recording: enough to send it again.
type Request struct {
	Method string
	URL    string // absolute
	Header http.Header
	Body   []byte
	Status int // the status the fake answered with
}

// recording collects the requests of one or more Servers, in the order they arrived.
type recording struct {
	mu       sync.Mutex
	requests []Request
}

func (rec *recording) take() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := rec.requests
	rec.requests = nil
	return out
}

func (s *Server) recordTo(rec *recording) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rec = rec
}

func (s *Server) serve(h http.Handler, w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rec := s.rec
	s.mu.Unlock()
	if rec == nil {
		h.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sw := &statusWriter{ResponseWriter: w}
	h.ServeHTTP(sw, r)
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.requests = append(rec.requests, Request{Method: r.Method, URL: s.URL + r.URL.RequestURI(),
		Header: r.Header.Clone(), Body: body, Status: status})
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
