package relay

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
)

// Parking a long-poll.
//
// A long-poll held the ordinary way keeps net/http's per-connection goroutine, its buffers and
// a background reader alive for up to a minute: tens of kilobytes per reader, so ten thousand
// waiting resources (or all of them reconnecting at once after a restart) would cost hundreds
// of megabytes. For HTTP/1.x the relay instead takes over the connection as soon as the request
// is validated, lets the handler return, and keeps only the socket, a timer and a hub
// registration. Store queries for parked polls run on a few shared workers, so a burst of polls
// queues as small structs rather than as blocked goroutines. The answer is written directly,
// with "Connection: close" (the reader simply reconnects for its next poll). The cost: a reader
// that hangs up is noticed only when its answer is written.

// answerTimeout bounds reading the store and writing one parked answer.
const answerTimeout = 10 * time.Second

// maxCheckers bounds the goroutines querying the store for parked polls.
const maxCheckers = 8

// canPark reports whether this request's connection can be taken over.
func canPark(w http.ResponseWriter, r *http.Request) bool {
	_, ok := unwrapWriter(w).(http.Hijacker)
	return ok && r.ProtoMajor == 1
}

// parkedPoll is a long-poll whose handler has returned.
type parkedPoll struct {
	s         *Server
	q         readQuery
	conn      net.Conn
	stopWatch func()
	timer     *time.Timer

	mu      sync.Mutex
	queued  bool // a check is queued or running
	again   bool // woken while being checked: check once more
	expired bool // the wait ended or the server is closing: answer with whatever there is
	done    bool
}

// longPollParked takes the connection over and queues the first check. It reports false (and
// leaves the request untouched) when the connection cannot be taken over.
func (s *Server) longPollParked(w http.ResponseWriter, q readQuery) bool {
	// Counted before the takeover, while http.Server.Shutdown still tracks the connection: once
	// Shutdown sees no connections, every parked poll is already in parkWG.
	s.parkWG.Add(1)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.parkWG.Done()
		return false
	}
	_ = conn.SetDeadline(time.Time{}) // the server's request deadlines no longer apply
	p := &parkedPoll{s: s, q: q, conn: conn}
	s.metrics.waitingReaders.Inc()
	p.stopWatch = s.store.Watch(q.requestID, p.wake) // before the first check: nothing slips between
	p.timer = time.AfterFunc(q.wait, p.expire)
	s.register(p)
	p.schedule(false)
	return true
}

func (p *parkedPoll) wake()   { p.schedule(false) }
func (p *parkedPoll) expire() { p.schedule(true) }

// schedule queues a check of the store. The hub calls it with its lock held, so it never blocks.
func (p *parkedPoll) schedule(expire bool) {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return
	}
	p.expired = p.expired || expire
	if p.queued {
		p.again = true
		p.mu.Unlock()
		return
	}
	p.queued = true
	p.mu.Unlock()
	p.s.checks.push(p)
}

// check queries the store and answers if there is something to say (or the wait is over);
// otherwise the poll goes back to waiting.
func (p *parkedPoll) check() {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), answerTimeout)
		callbacks, err := p.s.list(ctx, p.q)
		cancel()
		p.mu.Lock()
		if err == nil && len(callbacks) == 0 && !p.expired {
			if p.again {
				p.again = false
				p.mu.Unlock()
				continue
			}
			p.queued = false
			p.mu.Unlock()
			return
		}
		p.done = true
		p.mu.Unlock()
		p.answer(callbacks, err)
		return
	}
}

// answer writes the HTTP answer on the parked connection and forgets the poll.
func (p *parkedPoll) answer(callbacks []relaywire.Callback, err error) {
	s := p.s
	defer s.parkWG.Done()
	p.stopWatch()
	p.timer.Stop()
	s.unregister(p)
	s.metrics.waitingReaders.Dec()
	status, body := s.pageAnswer(p.q, callbacks, err)
	_ = p.conn.SetWriteDeadline(time.Now().Add(answerTimeout))
	_, _ = p.conn.Write(rawHTTPResponse(status, body)) // a reader that left is no error
	_ = p.conn.Close()
	s.metrics.requests.WithLabelValues(RouteRequests, strconv.Itoa(status)).Inc()
}

// rawHTTPResponse is a complete HTTP/1.1 answer with the headers the handlers set.
func rawHTTPResponse(status int, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	b.WriteString("Content-Type: application/json\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n")
	fmt.Fprintf(&b, "Date: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", time.Now().UTC().Format(http.TimeFormat), len(body))
	b.Write(body)
	return b.Bytes()
}

// register tracks p so shutdown can answer it; a poll parked during shutdown expires at once.
func (s *Server) register(p *parkedPoll) {
	s.parkMu.Lock()
	defer s.parkMu.Unlock()
	select {
	case <-s.closing:
		p.expire()
		return
	default:
	}
	s.parked[p] = struct{}{}
}

func (s *Server) unregister(p *parkedPoll) {
	s.parkMu.Lock()
	defer s.parkMu.Unlock()
	delete(s.parked, p)
}

// expireParked makes every parked poll answer now with what it has (at shutdown).
func (s *Server) expireParked() {
	s.parkMu.Lock()
	defer s.parkMu.Unlock()
	for p := range s.parked {
		p.expire()
	}
}

// waitParked waits until every parked poll has been answered, or ctx ends.
func (s *Server) waitParked(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.parkWG.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("answering held long-polls: %w", ctx.Err())
	}
}

// checkQueue runs parked polls' checks on at most maxCheckers goroutines, started on demand and
// gone when there is nothing to do (so a Server needs no lifecycle of its own for them).
type checkQueue struct {
	mu      sync.Mutex
	pending []*parkedPoll
	running int
}

func (q *checkQueue) push(p *parkedPoll) {
	q.mu.Lock()
	q.pending = append(q.pending, p)
	spawn := q.running < maxCheckers
	if spawn {
		q.running++
	}
	q.mu.Unlock()
	if spawn {
		go q.work()
	}
}

func (q *checkQueue) work() {
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.running--
			q.pending = nil // let a burst's backing array go
			q.mu.Unlock()
			return
		}
		p := q.pending[0]
		q.pending[0] = nil
		q.pending = q.pending[1:]
		q.mu.Unlock()
		p.check()
	}
}
