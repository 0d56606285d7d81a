package relay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// shutdownGrace bounds how long Close waits for in-flight requests.
const shutdownGrace = 15 * time.Second

// Running is a relay started by Start: a store, a listener and a server.
type Running struct {
	server   *Server
	store    Store
	listener net.Listener
	url      string

	served    chan struct{} // closed when Serve returns
	serveErr  error         // what Serve returned; read after served is closed
	closeOnce sync.Once
	closeErr  error
}

// Start opens cfg.Store, listens on cfg.Listen ("127.0.0.1:0" picks a free port), logs
// "listening" with the address, and serves in the background until Close. ctx bounds only the
// start-up (opening and migrating the store).
func Start(ctx context.Context, cfg Config) (*Running, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	store, err := OpenStore(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	srv, err := NewServer(cfg, store)
	if err != nil {
		store.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("listening on %s (--listen, THINGSPACE_RELAY_LISTEN): %w", cfg.Listen, err)
	}
	r := &Running{server: srv, store: store, listener: ln, url: baseURL(ln.Addr(), cfg.TLSCert != ""), served: make(chan struct{})}
	cfg.Logger.Info("listening", "addr", ln.Addr().String(), "url", r.url)
	if cfg.EncryptionKeyFile == "" {
		// After the "listening" line, which scripts expect first.
		cfg.Logger.Warn("callback payloads, device credentials included, are stored in plain text: set --encryption-key-file (THINGSPACE_RELAY_ENCRYPTION_KEY_FILE) to encrypt them at rest")
	}
	go func() {
		r.serveErr = srv.Serve(ln)
		close(r.served)
	}()
	return r, nil
}

// baseURL is how a client on this machine reaches addr: a wildcard address is reached through
// loopback.
func baseURL(addr net.Addr, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host, port := "127.0.0.1", ""
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
		if !tcp.IP.IsUnspecified() {
			host = tcp.IP.String()
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// URL is the relay's base URL, e.g. http://127.0.0.1:43127.
func (r *Running) URL() string { return r.url }

// Addr is the address the relay listens on.
func (r *Running) Addr() net.Addr { return r.listener.Addr() }

// Done is closed when the relay stops serving: after Close, or early if the listener fails
// (then Err says why).
func (r *Running) Done() <-chan struct{} { return r.served }

// Err is why serving stopped early, or nil. Call it after Done is closed.
func (r *Running) Err() error {
	select {
	case <-r.served:
		if errors.Is(r.serveErr, http.ErrServerClosed) {
			return nil
		}
		return r.serveErr
	default:
		return nil
	}
}

// Close stops the relay gracefully (held long-polls are answered, in-flight requests finish)
// and closes the store.
func (r *Running) Close() error {
	r.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		err := r.server.Shutdown(ctx)
		<-r.served
		r.closeErr = errors.Join(err, r.Err(), r.store.Close())
	})
	return r.closeErr
}
