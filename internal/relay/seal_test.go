package relay

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// devicePassword is the device credential every callbackBody carries.
const devicePassword = "device-cred-pw"

// newKey is a fresh key line for an encryption key file.
func newKey(t *testing.T, id string) string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(key)
}

func writeKeyFile(t *testing.T, path string, lines ...string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestKeyFileErrorsNameFileAndLineButNoKey(t *testing.T) {
	t.Parallel()
	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	good := newKey(t, "k1")
	for name, tc := range map[string]struct {
		lines []string
		want  string
	}{
		"no separator":  {[]string{"# keys", good, "k2" + short}, "line 3: no ':'"},
		"short key":     {[]string{good, "k2:" + short}, `line 2: the key of "k2" is 16 bytes, want 32`},
		"not base64":    {[]string{"k1:not*base64" + short}, `line 1: the key of "k1" is not valid base64`},
		"bad key id":    {[]string{"k 1:" + short}, "line 1: the key id"},
		"duplicate id":  {[]string{good, "", good}, `line 3: key id "k1" appears twice`},
		"no key at all": {[]string{"# nothing yet"}, "holds no key"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := writeKeyFile(t, filepath.Join(t.TempDir(), "keys"), tc.lines...)
			err := Config{EncryptionKeyFile: path, InsecureAllowAnonymous: true}.Validate()
			if err == nil {
				t.Fatal("a malformed key file was accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want it to name %s and say %q", msg, path, tc.want)
			}
			for _, line := range tc.lines {
				if _, key, ok := strings.Cut(line, ":"); ok && len(key) > 8 && strings.Contains(msg, key) {
					t.Errorf("error reveals key material: %q", msg)
				}
			}
		})
	}
	if err := (Config{EncryptionKeyFile: filepath.Join(t.TempDir(), "missing")}).Validate(); err == nil || !strings.Contains(err.Error(), "--encryption-key-file") {
		t.Errorf("missing key file: %v, want an error naming --encryption-key-file", err)
	}
}

// storedPayloads reads the payload column straight from the database, bypassing the relay.
func storedPayloads(t *testing.T, dsn string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.QueryContext(ctx, `SELECT payload FROM callbacks ORDER BY request_id, seq`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
		return out
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT payload::text FROM relay_callbacks ORDER BY request_id, seq`)
	if err != nil {
		t.Fatal(err)
	}
	out, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readPayload reads the one callback of requestID through the relay's API.
func readPayload(t *testing.T, baseURL, requestID string) string {
	t.Helper()
	page, err := testClient(t, baseURL).Fetch(context.Background(), requestID, 0, 0)
	if err != nil {
		t.Fatalf("reading %s: %v", requestID, err)
	}
	if len(page.Callbacks) != 1 {
		t.Fatalf("reading %s: %d callbacks, want 1", requestID, len(page.Callbacks))
	}
	return string(page.Callbacks[0].Payload)
}

func TestEncryptionAtRestStoresNoDevicePassword(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, dsn string) {
		keys := writeKeyFile(t, filepath.Join(t.TempDir(), "keys"), newKey(t, "k1"))
		r := startRelay(t, dsn, func(c *Config) { c.EncryptionKeyFile = keys })
		if code, body := postJSON(t, r.URL(), callbackBody("req-sealed", "Success", 1)); code != http.StatusOK {
			t.Fatalf("POST = %d %s", code, body)
		}
		// A redelivery is still recognised although each sealing of a payload differs.
		if code, body := postJSON(t, r.URL(), callbackBody("req-sealed", "Success", 2)); code != http.StatusOK || !jsonHas(body, `"duplicate":true`) {
			t.Fatalf("redelivery = %d %s, want a 200 duplicate", code, body)
		}
		if got := readPayload(t, r.URL(), "req-sealed"); !strings.Contains(got, devicePassword) {
			t.Errorf("served payload %s lacks the device credential", got)
		}

		rows := storedPayloads(t, dsn)
		if len(rows) != 1 || !strings.HasPrefix(rows[0], sealedPrefix+"k1:") {
			t.Fatalf("stored payloads %q, want one sealed with k1", rows)
		}
		for _, secret := range []string{devicePassword, "vzw4g.com", "deviceCredential"} {
			if strings.Contains(rows[0], secret) {
				t.Errorf("the stored row holds %q", secret)
			}
		}
		if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
			// Every byte SQLite wrote: the database, its write-ahead log and shared memory.
			files, _ := filepath.Glob(path + "*")
			for _, f := range files {
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(raw), devicePassword) {
					t.Errorf("%s holds the device password", filepath.Base(f))
				}
			}
		}
	})
}

// Plain rows written before encryption was turned on stay readable; adding a key rotates new
// writes onto it while the old key still opens what it sealed; dropping a key that is still in
// use fails reads with an error saying which key to add back.
func TestEncryptionTurnedOnAndRotated(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		k1, k2 := newKey(t, "k1"), newKey(t, "k2")
		phases := []struct {
			requestID string
			keys      []string
			wantKeyID string // "" = plain
		}{
			{"req-plain", nil, ""},
			{"req-k1", []string{k1}, "k1"},
			{"req-k2", []string{k1, k2}, "k2"},
		}
		for i, phase := range phases {
			r := startRelay(t, dsn, func(c *Config) {
				if phase.keys != nil {
					c.EncryptionKeyFile = writeKeyFile(t, filepath.Join(dir, "keys"), phase.keys...)
				}
			})
			if code, body := postJSON(t, r.URL(), callbackBody(phase.requestID, "Success", 1)); code != http.StatusOK {
				t.Fatalf("%s: POST = %d %s", phase.requestID, code, body)
			}
			for _, earlier := range phases[:i+1] {
				if got := readPayload(t, r.URL(), earlier.requestID); !strings.Contains(got, devicePassword) {
					t.Errorf("with keys %d: %s served as %s", len(phase.keys), earlier.requestID, got)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
		}
		rows := storedPayloads(t, dsn) // ordered by request id: req-k1, req-k2, req-plain
		if len(rows) != 3 || !strings.HasPrefix(rows[0], sealedPrefix+"k1:") || !strings.HasPrefix(rows[1], sealedPrefix+"k2:") || !strings.HasPrefix(rows[2], "{") {
			t.Fatalf("stored payloads %q, want k1, k2 and plain", rows)
		}

		store, err := OpenStore(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		withoutK1, err := loadKeyring(writeKeyFile(t, filepath.Join(dir, "keys"), k2))
		if err != nil {
			t.Fatal(err)
		}
		_, err = sealingStore{Store: store, keys: withoutK1}.List(context.Background(), "req-k1", 0, 10)
		if err == nil || !strings.Contains(err.Error(), `key id "k1"`) || !strings.Contains(err.Error(), "add that key back") {
			t.Errorf("reading a row sealed with a dropped key: %v, want an error naming k1 and saying to add it back", err)
		}
	})
}
