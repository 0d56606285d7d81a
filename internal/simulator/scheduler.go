package simulator

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// scheduler runs callback sends when they are due, on a fixed pool of workers: one timer and one
// goroutine wait for all pending sends, however many devices are delayed, and at most `workers`
// sends are in flight. Its goroutines start with the first job, so a Simulator that never sends
// a callback starts none.
type scheduler struct {
	ctx     context.Context
	workers int
	run     func(context.Context, *sendJob)

	mu      sync.Mutex
	pending jobHeap
	seq     uint64 // orders jobs due at the same time by when they were added
	busy    int    // jobs taken from pending and not yet finished
	started bool
	closed  bool
	wake    chan struct{} // a job was added: the earliest due time may have changed
	ready   chan *sendJob
	wg      sync.WaitGroup
}

func newScheduler(ctx context.Context, workers int, run func(context.Context, *sendJob)) *scheduler {
	return &scheduler{ctx: ctx, workers: workers, run: run, wake: make(chan struct{}, 1), ready: make(chan *sendJob)}
}

// add schedules a job; after close it is dropped.
func (q *scheduler) add(j *sendJob) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	if !q.started {
		q.started = true
		q.wg.Add(1 + q.workers)
		go q.dispatch()
		for range q.workers {
			go q.work()
		}
	}
	q.seq++
	j.seq = q.seq
	heap.Push(&q.pending, j)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// clear drops every job not yet handed to a worker.
func (q *scheduler) clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = nil
}

// close stops the goroutines (the context must be cancelled too) and waits for them.
func (q *scheduler) close() {
	q.mu.Lock()
	q.closed = true
	q.pending = nil
	q.mu.Unlock()
	q.wg.Wait()
}

// dispatch hands due jobs to the workers and otherwise sleeps until the earliest is due.
func (q *scheduler) dispatch() {
	defer q.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		j, wait := q.next()
		if j != nil {
			select {
			case q.ready <- j:
				continue
			case <-q.ctx.Done():
				return
			}
		}
		timer.Reset(wait)
		select {
		case <-q.wake:
		case <-timer.C:
		case <-q.ctx.Done():
			return
		}
	}
}

// next pops the earliest job if it is due, else says how long until it is.
func (q *scheduler) next() (*sendJob, time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return nil, time.Hour
	}
	if wait := time.Until(q.pending[0].due); wait > 0 {
		return nil, wait
	}
	q.busy++
	j, _ := heap.Pop(&q.pending).(*sendJob)
	return j, 0
}

// idle reports whether no job is pending or running, so tests can tell that nothing more will
// be sent without waiting for it.
func (q *scheduler) idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending) == 0 && q.busy == 0
}

func (q *scheduler) work() {
	defer q.wg.Done()
	for {
		select {
		case j := <-q.ready:
			q.run(q.ctx, j)
			q.mu.Lock()
			q.busy--
			q.mu.Unlock()
		case <-q.ctx.Done():
			return
		}
	}
}

// jobHeap orders jobs by due time, then by order of addition (container/heap).
type jobHeap []*sendJob

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(i, k int) bool {
	if !h[i].due.Equal(h[k].due) {
		return h[i].due.Before(h[k].due)
	}
	return h[i].seq < h[k].seq
}
func (h jobHeap) Swap(i, k int) { h[i], h[k] = h[k], h[i] }
func (h *jobHeap) Push(x any) {
	if j, ok := x.(*sendJob); ok {
		*h = append(*h, j)
	}
}
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return j
}
