package providers

import (
	"fmt"

	"google.golang.org/protobuf/types/known/structpb"
)

// Attributes returns m as a record's provider-specific attributes, leaving out empty
// strings; nil when nothing is left. Values are strings, bools and numbers (what
// structpb.NewStruct accepts); any other value is a programming error and panics.
func Attributes(m map[string]any) *structpb.Struct {
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		panic(fmt.Sprintf("providers: attributes: %v", err))
	}
	return s
}
