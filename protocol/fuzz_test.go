package protocol

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Fuzz targets for the decoders of files other programs write. Each checks
// that decoding never panics and that our encoding is a fixed point: what
// we write, read back and written again, is the same bytes (nothing we keep
// drifts, nothing we know of is lost). Seeds: the fixtures in
// testdata/protocol plus the edge cases below.

func addFixtures(f *testing.F, names ...string) {
	for _, n := range names {
		f.Add(fixture(f, n))
	}
}

func FuzzDecodeInbox(f *testing.F) {
	addFixtures(f, "claude-inbox.json", "golden-inbox.json")
	for _, s := range []string{"", "[]", "null", "{}", "[1,\"x\",null]", `[{"from":"a","text":"b","timestamp":"c"}]`,
		`[{"from":"a","text":"b","timestamp":"c","From":"A","read":true,"type":"other"}]`, `[{"from":5}]`, "[", `[{"a":1,"a":2}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, err := decodeInbox(data)
		if err != nil {
			return
		}
		again, err := decodeInbox(encodeInbox(raw))
		if err != nil || len(again) != len(raw) {
			t.Fatalf("re-encoded inbox: %d entries, %v; want %d", len(again), err, len(raw))
		}
		msgs, err := DecodeInbox(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			first, err := json.Marshal(m)
			if err != nil {
				t.Fatalf("marshal %+v: %v", m, err)
			}
			m2, ok := decodeEntry(first)
			if !ok {
				t.Fatalf("our own entry %s does not decode", first)
			}
			second, _ := json.Marshal(m2)
			if !bytes.Equal(first, second) {
				t.Fatalf("entry not stable:\n%s\n%s", first, second)
			}
		}
	})
}

func FuzzDecodeTask(f *testing.F) {
	addFixtures(f, "claude-task.json", "golden-task.json")
	for _, s := range []string{`{"id":7,"subject":"s","status":"pending"}`, `{"id":"1","status":"completed","blocks":null,"metadata":{"a":null}}`,
		`{"id":"01","status":"pending"}`, `{"id":"1","status":"deleted"}`, `{"id":"1","status":"pending","ID":"2","x":[1]}`, `[]`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		task, err := DecodeTask(data)
		if err != nil {
			return
		}
		if ValidateTaskID(task.ID) != nil || statusRank(task.Status) < 0 {
			t.Fatalf("accepted task with id %q status %q", task.ID, task.Status)
		}
		first, err := marshalFile(task)
		if err != nil {
			t.Fatalf("marshal %+v: %v", task, err)
		}
		task2, err := DecodeTask(first)
		if err != nil {
			t.Fatalf("our own task %s does not decode: %v", first, err)
		}
		second, _ := marshalFile(task2)
		if !bytes.Equal(first, second) {
			t.Fatalf("task not stable:\n%s\n%s", first, second)
		}
	})
}

func FuzzDecodeConfig(f *testing.F) {
	addFixtures(f, "claude-config.json", "golden-config.json")
	for _, s := range []string{`{}`, `{"members":null}`, `{"members":[{}],"x":1}`, `{"name":"a","members":[{"name":"b","mode":"plan","isActive":null}]}`, `{"name":1}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg TeamConfig
		if json.Unmarshal(data, &cfg) != nil {
			return
		}
		first, err := marshalFile(cfg)
		if err != nil {
			t.Fatalf("marshal %+v: %v", cfg, err)
		}
		var cfg2 TeamConfig
		if err := json.Unmarshal(first, &cfg2); err != nil {
			t.Fatalf("our own config %s does not decode: %v", first, err)
		}
		second, _ := marshalFile(cfg2)
		if !bytes.Equal(first, second) {
			t.Fatalf("config not stable:\n%s\n%s", first, second)
		}
		for k := range cfg.Extra {
			if configFields[k] {
				t.Fatalf("known key %q kept as extra", k)
			}
		}
	})
}
