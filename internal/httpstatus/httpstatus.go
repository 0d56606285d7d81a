// Package httpstatus remembers which status code a handler answered with, so that a server can
// log or count its answers after the handler has run.
package httpstatus

import (
	"bufio"
	"net"
	"net/http"
)

// Recorder is a ResponseWriter that remembers the first status code written through it.
type Recorder struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

// Status is the status code answered: 0 when nothing was written, as when the handler dropped
// or took over the connection.
func (r *Recorder) Status() int { return r.status }

// Hijacked reports whether the handler took the connection over, to answer later itself.
func (r *Recorder) Hijacked() bool { return r.hijacked }

// Hijack hands the connection over and remembers it did; without it a wrapped writer would hide
// the connection's Hijacker from handlers that check for one.
func (r *Recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	r.hijacked = err == nil
	return conn, rw, err
}

// WriteHeader remembers code unless a status was already written.
func (r *Recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write remembers the implicit 200 of a body written without a header.
func (r *Recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's own writer.
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
