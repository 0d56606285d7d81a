package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relayproc"
)

// clientTimeout bounds every request the benchmark makes; it is longer than any long-poll it
// holds (wait=60s), so only a hung relay trips it.
const clientTimeout = 2 * time.Minute

// endpoint is a running relay and how the benchmark reaches it.
type endpoint struct {
	proc *relayproc.Process
	url  string      // base URL: https:// when the relay serves TLS
	tls  *tls.Config // trusts the relay's certificate; nil for plain HTTP
}

// newClient returns a client with a connection pool of its own. Over TLS it negotiates HTTP/2,
// as the provider's default transport does, so its concurrent requests share one connection.
func (e endpoint) newClient() *http.Client {
	t := &http.Transport{MaxIdleConnsPerHost: 1}
	if e.tls != nil {
		t.TLSClientConfig = e.tls.Clone()
		t.ForceAttemptHTTP2 = true // a custom TLS config turns HTTP/2 off unless asked for
	}
	return &http.Client{Transport: t, Timeout: clientTimeout}
}

// relayTLS is what the relay serves TLS with (--tls-cert, --tls-key) and a client
// configuration that trusts it.
type relayTLS struct {
	certFile, keyFile string
	client            *tls.Config
}

// selfSignedCert writes a fresh certificate and key for 127.0.0.1 into dir.
func selfSignedCert(dir string) (*relayTLS, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "thingspace-relay benchmark"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	t := &relayTLS{certFile: filepath.Join(dir, "relay-cert.pem"), keyFile: filepath.Join(dir, "relay-key.pem")}
	if err := os.WriteFile(t.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(t.keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	t.client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}
