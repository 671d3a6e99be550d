package mcp

import (
	"testing"
	"time"
)

func TestPollTimeout(t *testing.T) {
	ms := func(v int64) *int64 { return &v }
	for _, tc := range []struct {
		in   *int64
		want time.Duration
		err  bool
	}{
		{nil, DefaultPollTimeout, false},
		{ms(0), 0, false},
		{ms(1500), 1500 * time.Millisecond, false},
		{ms(MaxPollTimeout.Milliseconds()), MaxPollTimeout, false},
		{ms(MaxPollTimeout.Milliseconds() + 1), 0, true},
		{ms(1 << 62), 0, true},
		{ms(-1), 0, true},
	} {
		got, err := pollTimeout(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("pollTimeout(%v) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}
