package relay

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
)

// Holding a long-poll.
//
// A long-poll that waits the ordinary way, in its handler goroutine, keeps that goroutine alive
// for up to a minute, with the stack its store query grew (tens of kilobytes with SQLite), plus
// net/http's buffers: ten thousand waiting resources (or all of them reconnecting at once after
// a restart) would cost hundreds of megabytes. So a long-poll that waits is "held" instead: a
// small struct with a hub registration and a timer, whose store queries run on a few shared
// workers; a burst of polls queues as small structs rather than as blocked goroutines. How the
// answer reaches the reader depends on the protocol:
//
//   - HTTP/1.x: the relay takes over ("parks") the connection as soon as the request is
//     validated and lets the handler return, keeping only the socket. The answer is written
//     directly, with "Connection: close" (the reader simply reconnects for its next poll). The
//     cost: a reader that hangs up is noticed only when its answer is written.
//   - HTTP/2 (what clients negotiate over TLS): a stream cannot be taken over, so its handler
//     goroutine stays, blocked on a channel. Since it never runs a query, its stack stays small,
//     and a reader that resets its stream is forgotten at once.

// answerTimeout bounds reading the store and writing one parked answer.
const answerTimeout = 10 * time.Second

// maxCheckers bounds the goroutines querying the store for held polls.
const maxCheckers = 8

// canPark reports whether this request's connection can be taken over.
func canPark(w http.ResponseWriter, r *http.Request) bool {
	_, ok := unwrapWriter(w).(http.Hijacker)
	return ok && r.ProtoMajor == 1
}

// heldPoll is a long-poll waiting off its handler's code path.
type heldPoll struct {
	s         *Server
	q         readQuery
	deliver   func(callbacks []relaywire.Callback, err error) // hands the answer to the reader
	stopWatch func()
	timer     *time.Timer

	mu      sync.Mutex
	queued  bool // a check is queued or running
	again   bool // woken while being checked: check once more
	expired bool // the wait ended or the server is closing: answer with whatever there is
	done    bool // answered, or abandoned by its reader
}

// hold starts waiting for q's answer and queues the first check. deliver is called once, from
// a checker goroutine, unless the poll is abandoned first.
func (s *Server) hold(q readQuery, deliver func(callbacks []relaywire.Callback, err error)) *heldPoll {
	p := &heldPoll{s: s, q: q, deliver: deliver}
	s.metrics.waitingReaders.Inc()
	p.stopWatch = s.store.Watch(q.requestID, p.wake) // before the first check: nothing slips between
	p.timer = time.AfterFunc(q.wait, p.expire)
	s.register(p)
	p.schedule(false)
	return p
}

// longPollParked takes the connection over and holds the poll, answering on the connection. It
// reports false (and leaves the request untouched) when the connection cannot be taken over.
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
	s.hold(q, func(callbacks []relaywire.Callback, err error) {
		defer s.parkWG.Done()
		status, body := s.pageAnswer(q, callbacks, err)
		_ = conn.SetWriteDeadline(time.Now().Add(answerTimeout))
		_, _ = conn.Write(rawHTTPResponse(status, body)) // a reader that left is no error
		_ = conn.Close()
		s.metrics.requests.WithLabelValues(RouteRequests, strconv.Itoa(status)).Inc()
	})
	return true
}

// pollAnswer is what a held poll delivers to a handler waiting for it.
type pollAnswer struct {
	callbacks []relaywire.Callback
	err       error
}

// longPollHeld holds the poll while its handler waits (for HTTP/2, where the connection cannot
// be taken over) and returns its answer, or ctx.Err() when the reader leaves first.
func (s *Server) longPollHeld(ctx context.Context, q readQuery) ([]relaywire.Callback, error) {
	answered := make(chan pollAnswer, 1)
	p := s.hold(q, func(callbacks []relaywire.Callback, err error) { answered <- pollAnswer{callbacks, err} })
	select {
	case a := <-answered:
		return a.callbacks, a.err
	case <-ctx.Done():
		p.abandon()
		return nil, ctx.Err()
	}
}

func (p *heldPoll) wake()   { p.schedule(false) }
func (p *heldPoll) expire() { p.schedule(true) }

// schedule queues a check of the store. The hub calls it with its lock held, so it never blocks.
func (p *heldPoll) schedule(expire bool) {
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
func (p *heldPoll) check() {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), answerTimeout)
		callbacks, err := p.s.list(ctx, p.q)
		cancel()
		p.mu.Lock()
		if p.done { // abandoned while the store was read
			p.mu.Unlock()
			return
		}
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
		p.release()
		p.deliver(callbacks, err)
		return
	}
}

// abandon forgets a poll whose reader left before it was answered.
func (p *heldPoll) abandon() {
	p.mu.Lock()
	wasDone := p.done
	p.done = true
	p.mu.Unlock()
	if !wasDone {
		p.release()
	}
}

// release undoes what hold set up, once the poll is done.
func (p *heldPoll) release() {
	p.stopWatch()
	p.timer.Stop()
	p.s.unregister(p)
	p.s.metrics.waitingReaders.Dec()
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

// register tracks p so shutdown can answer it; a poll held during shutdown expires at once.
func (s *Server) register(p *heldPoll) {
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	select {
	case <-s.closing:
		p.expire()
		return
	default:
	}
	s.held[p] = struct{}{}
}

func (s *Server) unregister(p *heldPoll) {
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	delete(s.held, p)
}

// expireHeld makes every held poll answer now with what it has (at shutdown).
func (s *Server) expireHeld() {
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	for p := range s.held {
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

// checkQueue runs held polls' checks on at most maxCheckers goroutines, started on demand and
// gone when there is nothing to do (so a Server needs no lifecycle of its own for them).
type checkQueue struct {
	mu      sync.Mutex
	pending []*heldPoll
	running int
}

func (q *checkQueue) push(p *heldPoll) {
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
