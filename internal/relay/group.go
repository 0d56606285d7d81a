package relay

import (
	"context"
	"errors"
	"sync"
)

// groupCommitter funnels concurrent appends into one goroutine that commits whatever queued up
// during the previous commit in a single transaction (group commit). Every durable commit costs
// a disk flush, so throughput then grows with the number of concurrent senders instead of
// collapsing under it, and each sender still gets its answer only after its commit.
type groupCommitter struct {
	// commit stores msgs in one transaction, in order, and reports each outcome.
	commit func(ctx context.Context, msgs []Message) ([]Stored, error)

	appends  chan *appendOp
	closing  chan struct{}
	loopDone chan struct{}

	// mu orders close after every append that got past the closed check, so no queued op is
	// left without an answer.
	mu     sync.RWMutex
	closed bool
}

// appendOp is one callback waiting for the commit loop, with where to send its outcome.
type appendOp struct {
	msg    Message
	result chan appendResult
}

type appendResult struct {
	stored Stored
	err    error
}

// maxGroup bounds one group commit, so a burst cannot hold the write lock for long.
const maxGroup = 512

var errStoreClosed = errors.New("the store is closed")

func newGroupCommitter(commit func(context.Context, []Message) ([]Stored, error)) *groupCommitter {
	g := &groupCommitter{
		commit:   commit,
		appends:  make(chan *appendOp, maxGroup),
		closing:  make(chan struct{}),
		loopDone: make(chan struct{}),
	}
	go g.loop()
	return g
}

// append queues m and waits for its commit.
func (g *groupCommitter) append(ctx context.Context, m Message) (Stored, error) {
	op := &appendOp{msg: m, result: make(chan appendResult, 1)}
	if err := g.enqueue(ctx, op); err != nil {
		return Stored{}, err
	}
	// Once queued, wait for the outcome even if ctx ends: the op may already be committing,
	// and the caller must not answer "not stored" for something that was.
	res := <-op.result
	return res.stored, res.err
}

func (g *groupCommitter) enqueue(ctx context.Context, op *appendOp) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return errStoreClosed
	}
	select {
	case g.appends <- op:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close answers what is still queued with errStoreClosed and stops the loop.
func (g *groupCommitter) close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	g.mu.Unlock()
	close(g.closing)
	<-g.loopDone
}

func (g *groupCommitter) loop() {
	defer close(g.loopDone)
	group := make([]*appendOp, 0, maxGroup)
	for {
		select {
		case op := <-g.appends:
			group = append(group[:0], op)
		case <-g.closing:
			g.failQueued()
			return
		}
		group = g.drain(group)
		g.commitGroup(group)
	}
}

func (g *groupCommitter) drain(group []*appendOp) []*appendOp {
	for len(group) < maxGroup {
		select {
		case op := <-g.appends:
			group = append(group, op)
		default:
			return group
		}
	}
	return group
}

func (g *groupCommitter) failQueued() {
	for {
		select {
		case op := <-g.appends:
			op.result <- appendResult{err: errStoreClosed}
		default:
			return
		}
	}
}

// commitGroup commits group in one transaction. If that fails, each op is retried alone so one
// bad callback cannot fail its neighbours.
func (g *groupCommitter) commitGroup(group []*appendOp) {
	// The loop owns the transaction's lifetime; a caller's context ending must not roll back
	// other callers' callbacks.
	ctx := context.Background()
	msgs := make([]Message, len(group))
	for i, op := range group {
		msgs[i] = op.msg
	}
	stored, err := g.commit(ctx, msgs)
	if err == nil {
		for i, op := range group {
			op.result <- appendResult{stored: stored[i]}
		}
		return
	}
	if len(group) == 1 {
		group[0].result <- appendResult{err: err}
		return
	}
	for i, op := range group {
		one, err := g.commit(ctx, msgs[i:i+1])
		if err != nil {
			op.result <- appendResult{err: err}
			continue
		}
		op.result <- appendResult{stored: one[0]}
	}
}
