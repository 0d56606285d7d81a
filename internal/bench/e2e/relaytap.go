package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
)

// The benchmark learns when the relay answered each read from the relay's side of the
// connection, without help from the provider or the relay: the relay serves on a listener whose
// connections keep a copy of what they read and wrote, with the time of every write. Afterwards
// the copies are parsed as HTTP, so every answer to GET /v1/requests/{id} is known with the
// moment its last byte left the relay and the callbacks it carried. A long-poll the relay takes
// over (parked) is written on the same connection, so it is seen like any other answer.

// tapListener hands out tapped connections and remembers them.
type tapListener struct {
	net.Listener
	mu    sync.Mutex
	conns []*tapConn
}

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &tapConn{Conn: c}
	l.mu.Lock()
	l.conns = append(l.conns, tc)
	l.mu.Unlock()
	return tc, nil
}

// tapConn is one connection to the relay, with a copy of both directions.
type tapConn struct {
	net.Conn
	mu       sync.Mutex
	received bytes.Buffer
	sent     bytes.Buffer
	// writes marks, for every Write, the length of sent after it and when it returned.
	writes []writeMark
}

type writeMark struct {
	end int
	at  time.Time
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.received.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *tapConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	at := time.Now()
	c.mu.Lock()
	c.sent.Write(p[:n])
	c.writes = append(c.writes, writeMark{end: c.sent.Len(), at: at})
	c.mu.Unlock()
	return n, err
}

// readAnswer is one answer of the relay to GET /v1/requests/{id}.
type readAnswer struct {
	requestID string
	// sentAt is when the answer's last byte was written to the reader.
	sentAt time.Time
	seqs   []int64
}

// readAnswers parses every connection seen so far into the read answers written before until.
func (l *tapListener) readAnswers(until time.Time) ([]readAnswer, error) {
	l.mu.Lock()
	conns := append([]*tapConn(nil), l.conns...)
	l.mu.Unlock()
	var out []readAnswer
	for _, c := range conns {
		c.mu.Lock()
		received, sent := bytes.Clone(c.received.Bytes()), bytes.Clone(c.sent.Bytes())
		writes := append([]writeMark(nil), c.writes...)
		c.mu.Unlock()
		answers, err := parseExchanges(received, sent, writes)
		if err != nil {
			return nil, fmt.Errorf("relay connection from %s: %w", c.RemoteAddr(), err)
		}
		for _, a := range answers {
			if a.sentAt.Before(until) {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// parseExchanges pairs the requests read on one connection with the answers written, in order
// (readers of the relay do not pipeline), and returns the read answers among them. A request
// still without a complete answer ends the parse.
func parseExchanges(received, sent []byte, writes []writeMark) ([]readAnswer, error) {
	requests := bufio.NewReader(bytes.NewReader(received))
	counted := &countingReader{r: bytes.NewReader(sent)}
	responses := bufio.NewReader(counted)
	var out []readAnswer
	for {
		req, resp, body, complete := nextExchange(requests, responses)
		if !complete {
			return out, nil // nothing more was asked, or the answer is still on its way
		}
		requestID, isRead := strings.CutPrefix(req.URL.Path, "/v1/requests/")
		if !isRead || req.Method != http.MethodGet || resp.StatusCode != http.StatusOK {
			continue
		}
		var page relaywire.Page
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("answer to %s is not a page: %w", req.URL.Path, err)
		}
		end := counted.n - responses.Buffered()
		sentAt, ok := writtenAt(writes, end)
		if !ok {
			return nil, errors.New("an answer's bytes have no write time")
		}
		a := readAnswer{requestID: requestID, sentAt: sentAt}
		for _, cb := range page.Callbacks {
			a.seqs = append(a.seqs, cb.Seq)
		}
		out = append(out, a)
	}
}

// nextExchange reads one request and its whole answer; complete is false when the connection's
// record ends first (the reader left, or the relay is still waiting to answer).
func nextExchange(requests, responses *bufio.Reader) (req *http.Request, resp *http.Response, body []byte, complete bool) {
	req, err := http.ReadRequest(requests)
	if err == nil {
		_, err = io.Copy(io.Discard, req.Body)
	}
	if err == nil {
		resp, err = http.ReadResponse(responses, req)
	}
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	return req, resp, body, err == nil
}

// writtenAt is when the byte at offset end-1 was written: the first write reaching end.
func writtenAt(writes []writeMark, end int) (time.Time, bool) {
	for _, w := range writes {
		if w.end >= end {
			return w.at, true
		}
	}
	return time.Time{}, false
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
