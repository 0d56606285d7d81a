package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// ingestResponse is what a stored callback is answered with. ThingSpace only looks at the status.
type ingestResponse struct {
	RequestID string `json:"requestId"`
	Seq       int64  `json:"seq"`
	Duplicate bool   `json:"duplicate"`
}

func (s *Server) handleIngest(w http.ResponseWriter, r *http.Request) {
	source, admitted := s.admitCallback(w, r)
	if !admitted {
		return
	}
	if !isJSONContentType(r.Header.Get("Content-Type")) {
		writeError(w, http.StatusUnsupportedMediaType, "callbacks must be sent as Content-Type: application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(unwrapWriter(w), r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("callback body exceeds %d bytes (--max-body-bytes)", s.cfg.MaxBodyBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "could not read the request body")
		return
	}
	in, err := parseIncoming(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !s.callbackAuthorized(in.envelope.Username, in.envelope.Password) {
		s.refuseCallbackCredentials(w, r, source)
		return
	}
	if err := in.validate(); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.storeAndAnswer(w, r, in.message)
}

// storeAndAnswer stores one authenticated callback and answers: 200 only once it is durable.
func (s *Server) storeAndAnswer(w http.ResponseWriter, r *http.Request, m Message) {
	start := time.Now()
	stored, err := s.store.Append(r.Context(), m)
	s.metrics.observeStore("append", start, err)
	if err != nil {
		s.log.Error("callback not stored; the sender will retry", "request_id", m.RequestID, "error", err)
		writeError(w, http.StatusServiceUnavailable, "the callback could not be stored; retry later")
		return
	}
	if stored.Duplicate {
		s.metrics.duplicates.Inc()
	} else {
		s.metrics.stored.Inc()
	}
	s.log.Info("callback stored", "request_id", m.RequestID, "seq", stored.Seq, "duplicate", stored.Duplicate)
	writeJSON(w, http.StatusOK, ingestResponse{RequestID: m.RequestID, Seq: stored.Seq, Duplicate: stored.Duplicate})
}

// callbackAuthorized compares both credentials, always both, in constant time.
func (s *Server) callbackAuthorized(username, password string) bool {
	if !s.checkCallbackAuth {
		return true
	}
	userOK := equalSecret(username, s.callbackUser)
	passOK := equalSecret(password, s.callbackPass)
	return userOK && passOK
}

func isJSONContentType(header string) bool {
	if header == "" {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(header)
	if err != nil {
		return false
	}
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// unwrapWriter returns the connection's own ResponseWriter, which MaxBytesReader needs to close
// the connection after an oversized body instead of reading it all.
func unwrapWriter(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// incoming is a parsed callback body before authentication.
type incoming struct {
	envelope thingspace.Envelope
	message  Message
}

// parseIncoming decodes a callback, strips the echoed credentials and computes the dedup key.
// What the fields mean (their spellings, which are credentials, which is the delivery counter)
// is thingspace's to say, so the relay and the provider never read one message two ways. Only
// the top level is decoded: nested values are kept as sent (compacted), and top-level keys come
// out sorted, so a redelivery of the same message yields the same bytes.
func parseIncoming(body []byte) (incoming, error) {
	if !utf8.Valid(body) {
		return incoming{}, errors.New("the body is not valid UTF-8")
	}
	// The body is decoded once, its top level only: everything below works on these fields.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return incoming{}, notAnObject(body)
	}
	env, err := thingspace.TakeEnvelope(fields)
	if err != nil {
		return incoming{}, err
	}
	return incoming{envelope: env, message: Message{
		RequestID: env.RequestID,
		Payload:   canonicalJSON(fields),
		DedupKey:  thingspace.DeliveryKey(fields),
	}}, nil
}

// notAnObject says what is wrong with a body that did not decode as one JSON object.
func notAnObject(body []byte) error {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err == nil && fields != nil {
		return errors.New("the body has data after the JSON object")
	}
	return errors.New("the body is not a JSON object")
}

func (in incoming) validate() error {
	if !in.envelope.HasRequestID {
		return errors.New(`the body has no "requestId" string`)
	}
	return relaywire.CheckRequestID(in.message.RequestID)
}

// canonicalJSON encodes already-validated fields with sorted keys, no HTML escaping and no
// trailing newline.
func canonicalJSON(fields map[string]json.RawMessage) []byte {
	return bytes.TrimSuffix(encodeJSON(fields), []byte("\n"))
}
