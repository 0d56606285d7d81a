// Package pgproc runs a PostgreSQL server of the test's own (initdb into a temporary directory,
// postgres on a free loopback port), so a test can crash it and start it again: what a shared
// server cannot be put through.
package pgproc

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport"
)

// Server is a PostgreSQL server owned by one test.
type Server struct {
	t       testing.TB
	binDir  string
	dir     string // owned by the server's user: data directory, socket, log
	port    int
	runAs   *syscall.Credential // nil: run as the current user
	cmd     *exec.Cmd
	exited  chan struct{}
	logFile string

	URL string // postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
}

// Start initialises a database cluster and starts a server on it; it is crashed and its files
// removed when the test ends. PostgreSQL refuses to run as root, so as root it runs as the
// postgres user. The test is skipped, saying why, when the binaries (under
// /usr/lib/postgresql/*/bin) are missing or the test runs as neither root nor postgres.
func Start(t testing.TB) *Server {
	t.Helper()
	binDir := findBinaries(t)
	runAs := serverUser(t)
	// Not t.TempDir: its parent is closed to other users, and the server runs as postgres.
	dir, err := os.MkdirTemp("", "relay-pg-") //nolint:usetesting // see above
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, binDir: binDir, dir: dir, runAs: runAs, logFile: filepath.Join(dir, "postgres.log")}
	t.Cleanup(func() {
		s.Crash()
		if t.Failed() {
			if log, err := os.ReadFile(s.logFile); err == nil {
				t.Logf("postgres log:\n%s", log)
			}
		}
		os.RemoveAll(dir)
	})
	if runAs != nil {
		if err := os.Chown(dir, int(runAs.Uid), int(runAs.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	initdb := s.command("initdb", "-D", s.dataDir(), "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.port = freePort(t)
	s.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	s.Restart()
	return s
}

func findBinaries(t testing.TB) string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(matches) == 0 {
		t.Skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: install the postgresql package to run this test")
	}
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) < version(matches[j]) })
	return filepath.Dir(matches[len(matches)-1])
}

// version is the major version in /usr/lib/postgresql/VERSION/bin/postgres.
func version(path string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return v
}

func serverUser(t testing.TB) *syscall.Credential {
	if os.Geteuid() != 0 {
		if u, err := user.Current(); err == nil && u.Username == "postgres" {
			return nil
		}
		t.Skip("starting a PostgreSQL server needs to run as root (it then runs the server as postgres) or as the postgres user")
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Skip("running as root but there is no postgres user to run the server as: install the postgresql package")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// freePort is a loopback port nobody listens on now.
func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("a TCP listener has address %v", ln.Addr())
	}
	return addr.Port
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.binDir, name), args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.runAs}
	return cmd
}

// Restart starts the server on its port and data directory (recovering after a crash) and
// returns once it accepts connections.
func (s *Server) Restart() {
	s.t.Helper()
	log, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	defer log.Close()
	s.cmd = s.command("postgres", "-D", s.dataDir(), "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+s.dir, "-c", "shared_buffers=16MB")
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("starting postgres: %v", err)
	}
	exited := make(chan struct{})
	s.exited = exited
	go func(cmd *exec.Cmd) {
		_ = cmd.Wait()
		close(exited)
	}(s.cmd)
	testsupport.Eventually(s.t, "postgres to accept connections", func() bool {
		select {
		case <-exited:
			log, _ := os.ReadFile(s.logFile)
			s.t.Fatalf("postgres exited while starting:\n%s", log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, s.URL)
		if err != nil {
			return false
		}
		conn.Close(ctx)
		return true
	})
}

// Crash SIGKILLs the server and every process it started, as when its machine dies, and returns
// once they are all gone (so the next Restart finds no process still holding the data
// directory). Crashing a server that is not running does nothing.
func (s *Server) Crash() {
	if s.cmd == nil {
		return
	}
	postmaster := s.cmd.Process.Pid
	// Children are listed first: once the postmaster dies they are re-parented and untraceable.
	victims := append(childrenOf(postmaster), postmaster)
	for _, pid := range victims {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	<-s.exited
	testsupport.Eventually(s.t, "every postgres process to exit", func() bool {
		for _, pid := range victims {
			if alive(pid) {
				return false
			}
		}
		return true
	})
	s.cmd = nil
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, path := range stats {
		if ppid, _ := parentAndState(path); ppid == pid {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			out = append(out, child)
		}
	}
	return out
}

// alive reports whether pid runs (a zombie holds nothing, so it counts as gone).
func alive(pid int) bool {
	_, state := parentAndState(fmt.Sprintf("/proc/%d/stat", pid))
	return state != "" && state != "Z" && state != "X"
}

// parentAndState reads a /proc/PID/stat file: "pid (comm) state ppid ...", where comm may hold
// spaces and parentheses.
func parentAndState(path string) (int, string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, ""
	}
	end := bytes.LastIndexByte(raw, ')')
	if end < 0 {
		return 0, ""
	}
	fields := strings.Fields(string(raw[end+1:]))
	if len(fields) < 2 {
		return 0, ""
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid, fields[0]
}
