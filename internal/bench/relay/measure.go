package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
)

type ingestResult struct {
	callbacks     int
	elapsed       time.Duration
	perSecond     float64
	p50, p99, max time.Duration
}

type wakeResult struct {
	samples       int
	p50, p99, max time.Duration
}

type idleResult struct {
	held         int
	conns        int // connections carrying them
	rssMB, hwmMB float64
}

// callbacksPerRequest mimics several devices (or a warning and a final answer) per request.
const callbacksPerRequest = 4

// callbackBody is a success callback shaped like ThingSpace's documented example (about 1 KB),
// distinct per n.
func callbackBody(requestID string, n int) []byte {
	return fmt.Appendf(nil, `{"username":%q,"password":%q,"requestId":%q,`+
		`"deviceIds":[{"id":"8914800000084078%04d","kind":"iccid"},{"id":"890490320000010000000000000%05d","kind":"eid"}],`+
		`"deviceResponse":{"deviceProfileResponse":{"deviceIdentifierCollection":[{"id":"666456789014008","kind":"imei"},`+
		`{"id":"8914800000084078%04d","kind":"iccid"},{"id":"2022326360","kind":"mdn"},{"id":"890490320000010000000000000%05d","kind":"eid"}],`+
		`"ipAddress":"101.0.1.216","state":"Active","servicePlan":"RP4235311",`+
		`"deviceCredential":{"username":"2022326360@vzw4g.com","password":"dev-%08d"},"smsrOid":"1.3.6.1.4.1.31746.1.500.200.101.4",`+
		`"profileStatus":"enable","euiccStatus":"SUCCESS","euiccStatusCode":"0","euiccStatusDesc":"Executed-Success"}},`+
		`"status":"Success","callbackCount":1,"maxCallbackThreshold":4}`,
		benchUser, benchPass, requestID, n%10000, n%100000, n%10000, n%100000, n)
}

func postCallback(client *http.Client, baseURL string, body []byte) error {
	resp, err := client.Post(baseURL+"/callbacks", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // drained so the connection is reused
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /callbacks answered %d", resp.StatusCode)
	}
	return nil
}

// measureIngest sends `total` distinct callbacks from `senders` keep-alive connections as fast
// as the relay acknowledges them.
func measureIngest(e endpoint, senders, total int) (ingestResult, error) {
	warmup := senders * 10
	if _, _, err := sendCallbacks(e, senders, 0, warmup); err != nil {
		return ingestResult{}, fmt.Errorf("warm-up: %w", err)
	}
	latencies, elapsed, err := sendCallbacks(e, senders, warmup, total)
	if err != nil {
		return ingestResult{}, err
	}
	r := ingestResult{callbacks: total, elapsed: elapsed, perSecond: float64(total) / elapsed.Seconds()}
	r.p50, r.p99, r.max = percentiles(latencies)
	return r, nil
}

func sendCallbacks(e endpoint, senders, first, count int) ([]time.Duration, time.Duration, error) {
	var (
		next    atomic.Int64
		mu      sync.Mutex
		all     = make([]time.Duration, 0, count)
		firstEr error
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := e.newClient()
			defer client.CloseIdleConnections()
			mine := make([]time.Duration, 0, count/senders+1)
			for {
				i := int(next.Add(1)) - 1
				if i >= count {
					break
				}
				n := first + i
				body := callbackBody(fmt.Sprintf("bench-%d", n/callbacksPerRequest), n)
				t0 := time.Now()
				if err := postCallback(client, e.url, body); err != nil {
					mu.Lock()
					firstEr = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all, time.Since(start), firstEr
}

// wakeBatch long-polls are held at once; then one callback per poll is posted, one by one.
const wakeBatch = 25

// measureWake measures, for held long-polls, the time from a callback's storage (its
// receivedAt, taken just before the commit) to the reader having the answer in hand. The polls
// share one client, as one provider's do: over TLS they are streams of one HTTP/2 connection.
func measureWake(e endpoint, samples int) (wakeResult, error) {
	client, err := relayclient.New(relayclient.Config{BaseURL: e.url, Token: benchToken, HTTPClient: e.newClient()})
	if err != nil {
		return wakeResult{}, err
	}
	sender := e.newClient()
	var latencies []time.Duration
	for batch := 0; len(latencies) < samples; batch++ {
		got, err := wakeOneBatch(e, client, sender, batch)
		if err != nil {
			return wakeResult{}, err
		}
		latencies = append(latencies, got...)
	}
	r := wakeResult{samples: len(latencies)}
	r.p50, r.p99, r.max = percentiles(latencies)
	return r, nil
}

func wakeOneBatch(e endpoint, client *relayclient.Client, sender *http.Client, batch int) ([]time.Duration, error) {
	type answer struct {
		latency time.Duration
		err     error
	}
	answers := make(chan answer, wakeBatch)
	for i := range wakeBatch {
		go func() {
			page, err := client.Fetch(context.Background(), fmt.Sprintf("wake-%d-%d", batch, i), 0, 30*time.Second)
			now := time.Now()
			if err == nil && len(page.Callbacks) == 0 {
				err = fmt.Errorf("long-poll ended without the callback")
			}
			if err != nil {
				answers <- answer{err: err}
				return
			}
			answers <- answer{latency: now.Sub(page.Callbacks[0].ReceivedAt)}
		}()
	}
	if err := awaitWaitingReaders(e, wakeBatch); err != nil {
		return nil, err
	}
	for i := range wakeBatch {
		id := fmt.Sprintf("wake-%d-%d", batch, i)
		if err := postCallback(sender, e.url, callbackBody(id, batch*wakeBatch+i)); err != nil {
			return nil, err
		}
	}
	out := make([]time.Duration, 0, wakeBatch)
	for range wakeBatch {
		a := <-answers
		if a.err != nil {
			return nil, a.err
		}
		out = append(out, a.latency)
	}
	return out, nil
}

// awaitWaitingReaders polls the relay's gauge until it holds n long-polls.
func awaitWaitingReaders(e endpoint, n int) error {
	want := fmt.Sprintf("thingspace_relay_waiting_readers %d\n", n)
	deadline := time.Now().Add(60 * time.Second)
	client := e.newClient()
	defer client.CloseIdleConnections()
	for {
		resp, err := client.Get(e.url + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(b, []byte(want)) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the relay never held %d long-polls", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// measureIdle holds n long-polls open (raw connections, one request each, distinct request
// ids) and reads the relay process's resident memory while they are held.
func measureIdle(e endpoint, n int) (idleResult, error) {
	conns, err := holdLongPolls(e.proc.Addr, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err != nil {
		return idleResult{}, err
	}
	return readIdleMemory(e, n, len(conns))
}

// readIdleMemory waits until the relay holds n long-polls, reads its memory, and checks that it
// still serves.
func readIdleMemory(e endpoint, n, conns int) (idleResult, error) {
	if err := awaitWaitingReaders(e, n); err != nil {
		return idleResult{}, err
	}
	rss, hwm, err := processMemory(e.proc.Pid())
	if err != nil {
		return idleResult{}, err
	}
	client := e.newClient()
	defer client.CloseIdleConnections()
	if err := postCallback(client, e.url, callbackBody("idle-0", 0)); err != nil {
		return idleResult{}, fmt.Errorf("while holding %d long-polls: %w", n, err)
	}
	return idleResult{held: n, conns: conns, rssMB: rss, hwmMB: hwm}, nil
}

func holdLongPolls(addr string, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, n)
	err := connectConcurrently(n, func(i int) error {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_, err = fmt.Fprintf(c, "GET /v1/requests/idle-%d?wait=60s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", i, addr, benchToken)
		}
		if err != nil {
			return fmt.Errorf("long-poll %d: %w", i, err)
		}
		conns[i] = c
		return nil
	})
	held := conns[:0]
	for _, c := range conns {
		if c != nil {
			held = append(held, c)
		}
	}
	return held, err
}

// connectConcurrently runs connect(i) for every i below n on 32 goroutines, so that thousands of
// connections open in seconds without a goroutine each. A goroutine stops at its error; the
// first error is returned once all have stopped.
func connectConcurrently(n int, connect func(i int) error) error {
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := connect(i); err != nil {
					errMu.Lock()
					if first == nil {
						first = err
					}
					errMu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// measureIdleStreams holds n long-polls over TLS as HTTP/2 streams, perConn to a connection.
// Each connection stands for one provider: its default transport keeps one HTTP/2 connection
// per host, and Terraform runs up to -parallelism waits at once over it.
func measureIdleStreams(e endpoint, n, perConn int) (idleResult, error) {
	clients, err := connectClients(e, (n+perConn-1)/perConn)
	defer func() {
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}()
	if err != nil {
		return idleResult{}, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel() // resets every stream still held
		wg.Wait()
	}()
	failed := make(chan error, 1)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := holdStream(ctx, clients[i/perConn], e.url, fmt.Sprintf("idle-%d", i))
			if err != nil && ctx.Err() == nil {
				select {
				case failed <- fmt.Errorf("long-poll %d: %w", i, err):
				default: // the first failure says enough
				}
			}
		}()
	}
	res, err := readIdleMemory(e, n, len(clients))
	if err != nil {
		select {
		case streamErr := <-failed:
			return idleResult{}, streamErr
		default:
		}
	}
	return res, err
}

// connectClients makes n clients, each with its own connection to the relay, and checks that
// the connection speaks HTTP/2.
func connectClients(e endpoint, n int) ([]*http.Client, error) {
	clients := make([]*http.Client, n)
	for i := range clients {
		clients[i] = e.newClient()
	}
	err := connectConcurrently(n, func(i int) error {
		if err := checkHTTP2(clients[i], e.url); err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		return nil
	})
	return clients, err
}

func checkHTTP2(client *http.Client, baseURL string) error {
	resp, err := client.Get(baseURL + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // drained so the connection is reused
	if resp.ProtoMajor != 2 {
		return fmt.Errorf("the relay answered over %s, not HTTP/2", resp.Proto)
	}
	return nil
}

// holdStream makes one long-poll and returns when it is answered, or ctx ends.
func holdStream(ctx context.Context, client *http.Client, baseURL, requestID string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/v1/requests/"+requestID+"?wait=60s", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /v1/requests/%s answered %d", requestID, resp.StatusCode)
	}
	return nil
}

// processMemory reads VmRSS and VmHWM (peak RSS) of pid, in MiB.
func processMemory(pid int) (rss, hwm float64, err error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("reading the relay's memory (Linux /proc needed): %w", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm, nil
}

func percentiles(d []time.Duration) (p50, p99, slowest time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return at(0.50), at(0.99), d[len(d)-1]
}
