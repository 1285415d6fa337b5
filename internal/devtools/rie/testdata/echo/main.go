// Command echo is a test bootstrap: it returns its event with the value of MYVAR added, a typed error
// when the event has "fail", and panics when it has "panic".
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

// Boom is the typed error the test expects as errorType.
type Boom struct{}

func (*Boom) Error() string { return "boom" }

func main() {
	lambda.Start(func(_ context.Context, in map[string]any) (map[string]any, error) {
		if in["panic"] != nil {
			panic("asked to panic")
		}
		if in["fail"] != nil {
			return nil, &Boom{}
		}
		in["env"] = os.Getenv("MYVAR")
		return in, nil
	})
}
