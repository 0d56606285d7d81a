package relay

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
)

// Encryption at rest.
//
// A successful callback carries the device's own network credential, so a copy of the database
// (a backup, a replica, a stolen disk) would leak every device's password. With a key file the
// relay seals each payload with AES-256-GCM before storing it and opens it when serving it.
//
// The key file holds one key a line, "KEYID:BASE64", where BASE64 is 32 random bytes (openssl
// rand -base64 32). Blank lines and lines starting with '#' are ignored. The last key is the
// current one: new payloads are sealed with it. Earlier keys are kept only to open what they
// sealed, so rotating means appending a new line and, once every row sealed with an old key has
// been purged by retention, deleting that key's line.
//
// A sealed payload is stored as text, sealedPrefix + KEYID + ":" + base64(nonce || ciphertext),
// which can never be mistaken for a plain payload (always a JSON object, starting with '{'): rows
// stored before encryption was turned on stay readable. The request id is the additional
// authenticated data, so a sealed payload copied onto another request's row does not open.
//
// The dedup key is computed before sealing and stored beside it: a SHA-256 over the whole
// message, which reveals nothing of the device password short of guessing every field at once.

// sealedPrefix starts every sealed payload; "v1" names the format above.
const sealedPrefix = "sealed:v1:"

// keyIDPattern keeps key ids printable in errors and free of the ':' that ends them.
var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

const keyFileHelp = `each line must be KEYID:BASE64 (KEYID of letters, digits, '.', '_' or '-'; BASE64 of 32 random bytes, e.g. from "openssl rand -base64 32")`

// keyring holds the keys of an encryption key file.
type keyring struct {
	aeads   map[string]cipher.AEAD
	current string // key id new payloads are sealed with; "" writes plain text
}

// loadKeyring reads an encryption key file (see above). Its errors name the file and line but
// never quote a line, since a line holds key material.
func loadKeyring(path string) (*keyring, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the encryption key file (--encryption-key-file, THINGSPACE_RELAY_ENCRYPTION_KEY_FILE): %w", err)
	}
	k := &keyring{aeads: map[string]cipher.AEAD{}}
	lines := bufio.NewScanner(bytes.NewReader(content))
	for n := 1; lines.Scan(); n++ {
		line := strings.TrimSpace(lines.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, aead, err := parseKeyLine(line)
		if err != nil {
			return nil, fmt.Errorf("encryption key file %s, line %d: %v; %s", path, n, err, keyFileHelp)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("encryption key file %s, line %d: key id %q appears twice; give every key its own id", path, n, id)
		}
		k.aeads[id] = aead
		k.current = id
	}
	if err := lines.Err(); err != nil {
		return nil, fmt.Errorf("encryption key file %s: %w", path, err)
	}
	if k.current == "" {
		return nil, fmt.Errorf("encryption key file %s holds no key; %s", path, keyFileHelp)
	}
	return k, nil
}

func parseKeyLine(line string) (string, cipher.AEAD, error) {
	id, encoded, ok := strings.Cut(line, ":")
	if !ok {
		return "", nil, errors.New("no ':' between key id and key")
	}
	if !keyIDPattern.MatchString(id) {
		return "", nil, errors.New("the key id is empty, longer than 64 characters or has characters other than letters, digits, '.', '_' and '-'")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return "", nil, fmt.Errorf("the key of %q is not valid base64", id)
	}
	if len(key) != 32 {
		return "", nil, fmt.Errorf("the key of %q is %d bytes, want 32 for AES-256", id, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", nil, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return "", nil, err
	}
	return id, aead, nil
}

// seal encrypts a payload of requestID with the current key; without one it returns payload.
func (k *keyring) seal(requestID string, payload []byte) []byte {
	if k == nil || k.current == "" {
		return payload
	}
	sealed := k.aeads[k.current].Seal(nil, nil, payload, []byte(requestID))
	out := make([]byte, 0, len(sealedPrefix)+len(k.current)+1+base64.StdEncoding.EncodedLen(len(sealed)))
	out = append(out, sealedPrefix...)
	out = append(out, k.current...)
	out = append(out, ':')
	return base64.StdEncoding.AppendEncode(out, sealed)
}

// open returns a stored payload of requestID as plain JSON, decrypting it if it was sealed.
func (k *keyring) open(requestID string, stored []byte) ([]byte, error) {
	rest, sealed := bytes.CutPrefix(stored, []byte(sealedPrefix))
	if !sealed {
		return stored, nil
	}
	id, encoded, ok := bytes.Cut(rest, []byte(":"))
	if !ok {
		return nil, fmt.Errorf("a stored payload of request %s is sealed but has no key id: the row is damaged", requestID)
	}
	var aead cipher.AEAD
	if k != nil {
		aead = k.aeads[string(id)]
	}
	if aead == nil {
		return nil, fmt.Errorf("a stored payload of request %s is sealed with key id %q, which the encryption key file does not hold: add that key back to --encryption-key-file (THINGSPACE_RELAY_ENCRYPTION_KEY_FILE) on a line before the current key", requestID, id)
	}
	ciphertext, err := base64.StdEncoding.AppendDecode(nil, encoded)
	if err != nil {
		return nil, fmt.Errorf("a stored payload of request %s sealed with key id %q is not valid base64: the row is damaged", requestID, id)
	}
	plain, err := aead.Open(nil, nil, ciphertext, []byte(requestID))
	if err != nil {
		return nil, fmt.Errorf("a stored payload of request %s does not open with key id %q: the key under that id is not the one that sealed it, or the row was altered", requestID, id)
	}
	return plain, nil
}

// sealingStore seals payloads on their way into a store and opens them on their way out, so the
// stores themselves only ever see opaque text.
type sealingStore struct {
	Store
	keys *keyring // nil: write plain text, and fail clearly on sealed rows
}

func (s sealingStore) Append(ctx context.Context, m Message) (Stored, error) {
	plain := m.Payload
	m.Payload = s.keys.seal(m.RequestID, plain)
	stored, err := s.Store.Append(ctx, m)
	if err != nil {
		return Stored{}, err
	}
	stored.Payload = plain
	return stored, nil
}

func (s sealingStore) List(ctx context.Context, requestID string, after int64, limit int) ([]relaywire.Callback, error) {
	callbacks, err := s.Store.List(ctx, requestID, after, limit)
	if err != nil {
		return nil, err
	}
	for i := range callbacks {
		if callbacks[i].Payload, err = s.keys.open(requestID, callbacks[i].Payload); err != nil {
			return nil, err
		}
	}
	return callbacks, nil
}
