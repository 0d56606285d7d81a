package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relayproc"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relaytest"
)

// relayBin is the relay built once for every test that runs the real binary.
var relayBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "thingspace-relay-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	relayBin, err = relayproc.Build(ctx, dir)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	testUser  = "listener-user"
	testPass  = "listener-pass"
	testToken = "read-token"
)

// credentialsEnv configures the secrets through the environment, as the deployment docs advise.
var credentialsEnv = []string{
	"THINGSPACE_RELAY_CALLBACK_USERNAME=" + testUser,
	"THINGSPACE_RELAY_CALLBACK_PASSWORD=" + testPass,
	"THINGSPACE_RELAY_READ_TOKEN=" + testToken,
}

func startBinary(t *testing.T, dsn string) *relayproc.Process {
	t.Helper()
	p, err := relayproc.Start(relayBin, []string{"--listen", "127.0.0.1:0", "--store", dsn, "--log-level", "warn"}, credentialsEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p
}

// The relay answers 200 only after a commit: SIGKILL it while many connections are sending,
// restart it, and every acknowledged callback must be there.
func TestSIGKILLLosesNoAcknowledgedCallback(t *testing.T) {
	t.Parallel()
	for _, kind := range relaytest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			dsn := relaytest.StoreDSN(t, kind)
			first := startBinary(t, dsn)
			acked := sendUntilKilled(t, first, 32, 400)

			second := startBinary(t, dsn)
			client, err := relayclient.New(relayclient.Config{BaseURL: second.URL, Token: testToken})
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for sender, ns := range acked {
				stored := readAll(t, client, fmt.Sprintf("crash-%d", sender))
				for _, n := range ns {
					if !stored[n] {
						t.Errorf("sender %d: callback %d was answered 200 but is missing after the crash", sender, n)
					}
				}
				total += len(ns)
			}
			t.Logf("%s: %d callbacks acknowledged before SIGKILL, all present after restart", kind, total)
			if err := second.Stop(); err != nil {
				t.Errorf("SIGTERM: relay exited with %v\n%s", err, second.Logs())
			}
		})
	}
}

// sendUntilKilled runs `senders` concurrent connections posting distinct callbacks, SIGKILLs the
// relay once killAfter have been acknowledged, and returns the acknowledged numbers per sender.
func sendUntilKilled(t *testing.T, p *relayproc.Process, senders, killAfter int) [][]int {
	t.Helper()
	const maxPerSender = 2000 // bounds the run even if the kill never lands
	acked := make([][]int, senders)
	var ackCount atomic.Int64
	killed := make(chan struct{})
	var killOnce sync.Once
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{}, Timeout: time.Minute}
			defer client.CloseIdleConnections()
			for n := range maxPerSender {
				if !postOne(client, p.URL, s, n) {
					select {
					case <-killed:
						return
					default:
						continue // a refusal before the kill is not a loss; keep going
					}
				}
				acked[s] = append(acked[s], n)
				if ackCount.Add(1) == int64(killAfter) {
					killOnce.Do(func() { p.Kill(); close(killed) })
				}
			}
		}()
	}
	wg.Wait()
	killOnce.Do(func() { p.Kill(); close(killed) })
	if ackCount.Load() < int64(killAfter) {
		t.Fatalf("only %d callbacks acknowledged before the relay stopped:\n%s", ackCount.Load(), p.Logs())
	}
	return acked
}

func postOne(client *http.Client, baseURL string, sender, n int) bool {
	body, _ := json.Marshal(map[string]any{
		"username": testUser, "password": testPass,
		"requestId": fmt.Sprintf("crash-%d", sender), "n": n, "status": "Success", "callbackCount": 1,
	})
	resp, err := client.Post(baseURL+"/callbacks", "application/json", bytes.NewReader(body))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// readAll returns the `n` field of every callback stored for requestID, failing on a repeat.
func readAll(t *testing.T, c *relayclient.Client, requestID string) map[int]bool {
	t.Helper()
	seen := map[int]bool{}
	var after int64
	for {
		page, err := c.Fetch(context.Background(), requestID, after, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Callbacks) == 0 {
			return seen
		}
		for _, cb := range page.Callbacks {
			var p struct{ N int }
			if err := json.Unmarshal(cb.Payload, &p); err != nil {
				t.Fatal(err)
			}
			if seen[p.N] {
				t.Errorf("%s: callback %d stored twice", requestID, p.N)
			}
			seen[p.N] = true
		}
		after = page.Next
	}
}

func TestSIGTERMShutsDownGracefully(t *testing.T) {
	t.Parallel()
	p := startBinary(t, relaytest.SQLiteDSN(t))
	client, err := relayclient.New(relayclient.Config{BaseURL: p.URL, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan error, 1)
	go func() {
		_, err := client.Fetch(context.Background(), "req-held", 0, relaywire.MaxWait)
		held <- err
	}()
	waitForWaitingReaders(t, p.URL, 1)
	if err := p.Stop(); err != nil {
		t.Fatalf("relay exited with %v after SIGTERM:\n%s", err, p.Logs())
	}
	if err := <-held; err != nil {
		t.Errorf("the held long-poll got %v, want an early (empty) answer", err)
	}
}

func waitForWaitingReaders(t *testing.T, baseURL string, n int) {
	t.Helper()
	want := fmt.Sprintf("thingspace_relay_waiting_readers %d\n", n)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(baseURL + "/metrics")
		if err == nil {
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			resp.Body.Close()
			if strings.Contains(b.String(), want) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the relay never held %d long-polls", n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestRefusesToStartWithoutSecrets(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	code := run([]string{"--store", relaytest.SQLiteDSN(t), "--callback-username", "u"}, noEnv, &stderr)
	if code != exitUsage {
		t.Fatalf("exit code %d, want %d", code, exitUsage)
	}
	for _, want := range []string{"--callback-password", "THINGSPACE_RELAY_CALLBACK_PASSWORD", "--read-token", "THINGSPACE_RELAY_READ_TOKEN", "--insecure-allow-anonymous"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("refusal does not mention %s:\n%s", want, stderr.String())
		}
	}
}

func noEnv(string) (string, bool) { return "", false }

func envOf(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{
		"THINGSPACE_RELAY_LISTEN":                   "127.0.0.1:9001",
		"THINGSPACE_RELAY_RETENTION":                "48h",
		"THINGSPACE_RELAY_READ_TOKEN":               "from-env",
		"THINGSPACE_RELAY_INSECURE_ALLOW_ANONYMOUS": "true",
		"THINGSPACE_RELAY_MAX_BODY_BYTES":           "2048",
	})
	o, err := parseArgs([]string{"--listen", "127.0.0.1:9002", "--read-token=from-flag"}, env, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if c.Listen != "127.0.0.1:9002" || c.ReadToken != "from-flag" {
		t.Errorf("flags lost to the environment: listen %s, token %s", c.Listen, c.ReadToken)
	}
	if c.Retention != 48*time.Hour || !c.InsecureAllowAnonymous || c.MaxBodyBytes != 2048 {
		t.Errorf("environment not applied: %+v", c)
	}
	if c.Store != relay.DefaultStore {
		t.Errorf("store = %s, want the default", c.Store)
	}
}

func TestBadEnvironmentValueNamesTheVariable(t *testing.T) {
	t.Parallel()
	_, err := parseArgs(nil, envOf(map[string]string{"THINGSPACE_RELAY_RETENTION": "a month"}), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "THINGSPACE_RELAY_RETENTION") {
		t.Fatalf("err = %v, want one naming THINGSPACE_RELAY_RETENTION", err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"--no-such-flag"}, noEnv, &stderr); code != exitUsage {
		t.Errorf("unknown flag: exit %d, want %d", code, exitUsage)
	}
}

func TestHelpListsEveryFlagWithItsVariableAndDefault(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	if code := run([]string{"--help"}, noEnv, &stderr); code != exitOK {
		t.Fatalf("--help exit code %d", code)
	}
	help := stderr.String()
	var o options
	newFlagSet(&o).VisitAll(func(f *flag.Flag) {
		for _, want := range []string{"--" + f.Name, envName(f.Name), f.Usage} {
			if !strings.Contains(help, want) {
				t.Errorf("--help lacks %q", want)
			}
		}
	})
	for _, want := range []string{"default 127.0.0.1:8080", "default sqlite:thingspace-relay.db", "default 1048576", "default 720h"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

func TestAllowListsRepeatAsFlagsAndCommaSeparateInTheEnvironment(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{
		"THINGSPACE_RELAY_CALLBACK_ALLOW_CIDR": "192.0.2.0/24, 198.51.100.0/24",
		"THINGSPACE_RELAY_TRUSTED_PROXY_CIDR":  "10.0.0.0/8",
	})
	o, err := parseArgs([]string{"--trusted-proxy-cidr", "127.0.0.1", "--trusted-proxy-cidr", "::1"}, env, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.cfg.CallbackAllowCIDRs, " "); got != "192.0.2.0/24 198.51.100.0/24" {
		t.Errorf("allow-list from the environment = %q", got)
	}
	if got := strings.Join(o.cfg.TrustedProxyCIDRs, " "); got != "127.0.0.1 ::1" {
		t.Errorf("trusted proxies = %q, want the repeated flags (which win over the environment)", got)
	}

	var stderr bytes.Buffer
	code := run([]string{"--callback-allow-cidr", "192.0.2.0/33", "--insecure-allow-anonymous"}, noEnv, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "--callback-allow-cidr") {
		t.Errorf("bad CIDR: exit %d, %s; want a refusal naming --callback-allow-cidr", code, stderr.String())
	}
}
