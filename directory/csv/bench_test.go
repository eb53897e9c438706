package csv_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/usher-sdk/usher/directory/csv"
)

// BenchmarkReadPureSync reads a 10,000-row PureSync file.
func BenchmarkReadPureSync(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("Full Name,Personal Email,Corporate Email,Phone Number,groups,roles\r\n")
	for i := range 10_000 {
		fmt.Fprintf(&buf, "User %d,u%d@home.test,u%d@example.test,+371 2000 %04d,\"eng,ops\",staff\r\n", i, i, i, i%10000)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := csv.Read(context.Background(), bytes.NewReader(data), csv.Config{})
		if err != nil || len(res.Entries) != 10_000 {
			b.Fatal(err, len(res.Entries))
		}
	}
}
