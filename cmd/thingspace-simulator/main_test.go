package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// waitLimit only stops a broken test from hanging; no assertion depends on it.
const waitLimit = 60 * time.Second

var listeningLine = regexp.MustCompile(`^thingspace-simulator listening on (http://127\.0\.0\.1:\d+)$`)

func TestHelpExplainsEveryFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	help := stdout.String()
	want := []string{"--listen", "--scenario", "--log-level", "127.0.0.1:0", "/_simulator/reset", exampleScenario,
		string(simulator.FaultDropAfterHandling), "callbackRetryInterval", "defaultBehavior", "listeners"}
	for _, o := range simulator.Outcomes() {
		want = append(want, string(o))
	}
	for _, e := range simulator.Endpoints() {
		want = append(want, string(e))
	}
	for _, w := range want {
		if !strings.Contains(help, w) {
			t.Errorf("help does not mention %q", w)
		}
	}
	if strings.Contains(help, "%!") {
		t.Errorf("help has a formatting error:\n%s", help)
	}
}

func TestExampleScenarioIsValid(t *testing.T) {
	sc, err := simulator.ParseScenario(strings.NewReader(exampleScenario))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Devices) == 0 || len(sc.Faults) == 0 || len(sc.Listeners) == 0 {
		t.Fatalf("the example should show devices, faults and listeners: %+v", sc)
	}
}

func TestRefusals(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"bearerLifetime":"forever"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--port", "1"}, 2, "flag provided but not defined: -port"},
		{[]string{"serve"}, 2, `unexpected argument "serve"`},
		{[]string{"--log-level", "loud"}, 2, `--log-level "loud"`},
		{[]string{"--scenario", bad}, 1, `invalid duration "forever"`},
		{[]string{"--scenario", filepath.Join(t.TempDir(), "missing.json")}, 1, "missing.json"},
		{[]string{"--listen", "127.0.0.1:notaport"}, 1, "listen on 127.0.0.1:notaport"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), c.args, &stdout, &stderr)
			if code != c.code || !strings.Contains(stderr.String(), c.want) || stdout.Len() != 0 {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit %d and %q", code, stderr.String(), stdout.String(), c.code, c.want)
			}
		})
	}
}

// TestRunServesUntilCancelled runs the command in-process with the example scenario.
func TestRunServesUntilCancelled(t *testing.T) {
	scenario := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(scenario, []byte(exampleScenario), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stdoutR, stdoutW := io.Pipe()
	stderr := tempFile(t)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--scenario", scenario, "--log-level", "debug"}, stdoutW, stderr)
		_ = stdoutW.Close()
	}()
	base := readAddress(t, stdoutR)
	checkServes(t, base)
	cancel()
	code := <-done
	logged := contents(t, stderr)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, logged)
	}
	if strings.Contains(logged, "sim-client-secret") || strings.Contains(logged, "sim-password") {
		t.Fatalf("a secret reached the log:\n%s", logged)
	}
}

// TestBinary builds the command, runs it as a process, calls it and stops it with SIGTERM.
func TestBinary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build the binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "thingspace-simulator")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0")
	stderr := tempFile(t)
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	base := readAddress(t, stdout)
	checkServes(t, base)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v; stderr:\n%s", err, contents(t, stderr))
	}
}

// readAddress reads the first stdout line, which must be the listening line and nothing else.
func readAddress(t *testing.T, stdout io.Reader) string {
	t.Helper()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, stdout) // keep the writer from blocking
	}()
	select {
	case line := <-lines:
		m := listeningLine.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
		if m == nil {
			t.Fatalf("first stdout line %q is not the listening line", line)
		}
		return m[1]
	case <-time.After(waitLimit):
		t.Fatal("the simulator never printed its address")
		return ""
	}
}

// checkServes gets a bearer and reads a device through the controls.
func checkServes(t *testing.T, base string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+thingspace.PathOAuthToken, strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(simulator.DefaultClientID+":"+simulator.DefaultClientSecret)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var token thingspace.TokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&token); err != nil || resp.StatusCode != http.StatusOK || token.AccessToken == "" {
		t.Fatalf("token: %d %+v %v", resp.StatusCode, token, err)
	}

	resp, err = http.Get(base + "/_simulator/devices/89049032000001000000000000000074")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st simulator.DeviceState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || st.Behavior.Delay != simulator.Duration(defaultDelay) {
		t.Fatalf("device state %+v (%v), want the binary's default delay %s", st, err, defaultDelay)
	}
}

// tempFile is somewhere to capture stderr; unlike a bytes.Buffer it is safe for the concurrent
// writes of the logger.
func tempFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func contents(t *testing.T, f *os.File) string {
	t.Helper()
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
