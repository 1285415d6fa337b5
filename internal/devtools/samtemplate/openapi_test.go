package samtemplate

// docs/openapi.yaml and the template's DefinitionBody are two hand-kept descriptions of one API:
// both must be valid OpenAPI 3.0 (kin-openapi's loader and validator) and agree on the paths,
// methods, operationIds and path parameters.

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

const openapiPath = "../../../docs/openapi.yaml"

// operationKey is one operation as both documents must declare it.
type operationKey struct {
	OperationID string
	PathParams  []string // sorted names of the path parameters (path-level and operation-level)
}

func loadOpenAPI(t *testing.T, load func(*openapi3.Loader) (*openapi3.T, error)) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := load(loader)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("not valid OpenAPI 3.0: %v", err)
	}
	return doc
}

// operations lists "METHOD /path" → operationId and path parameter names.
func operations(t *testing.T, doc *openapi3.T) map[string]operationKey {
	t.Helper()
	out := map[string]operationKey{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			var params []string
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
					params = append(params, p.Value.Name)
				}
			}
			slices.Sort(params)
			out[strings.ToUpper(method)+" "+path] = operationKey{OperationID: op.OperationID, PathParams: params}
		}
	}
	return out
}

// definitionBody returns the Api's DefinitionBody with intrinsics resolved for mode, as JSON.
func definitionBody(t *testing.T, mode string) []byte {
	t.Helper()
	tmpl := loadStack(t, map[string]string{"AuthMode": mode})
	body, ok := tmpl.Resources["StepgateApi"].Properties["DefinitionBody"]
	if !ok {
		t.Fatal("StepgateApi has no DefinitionBody")
	}
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "Fn::") || strings.Contains(string(data), `"Ref"`) {
		t.Fatalf("DefinitionBody keeps unresolved intrinsics: %s", data)
	}
	return data
}

// TestOpenAPIDocumentsValid: both documents are valid OpenAPI 3.0; the DefinitionBody's explicit
// operations are documented alike, and docs/openapi.yaml's other operations are the sample's
// ROUTES (served through the body's one greedy operation, which is plumbing and not documented).
func TestOpenAPIDocumentsValid(t *testing.T) {
	docs := loadOpenAPI(t, func(l *openapi3.Loader) (*openapi3.T, error) { return l.LoadFromFile(openapiPath) })
	documented := operations(t, docs)
	if len(documented) == 0 {
		t.Fatal("docs/openapi.yaml declares no operations")
	}
	routes := startRoutes(t, loadStack(t, nil))
	for key := range documented {
		if _, ok := routes.Route(key); ok {
			delete(documented, key)
		}
	}
	for _, mode := range []string{"AWS_IAM", "API_KEY", "NONE"} {
		t.Run("DefinitionBody/AuthMode="+mode, func(t *testing.T) {
			data := definitionBody(t, mode)
			body := loadOpenAPI(t, func(l *openapi3.Loader) (*openapi3.T, error) { return l.LoadFromData(data) })
			deployed := operations(t, body)
			if len(body.Paths.Value("/{proxy+}").Operations()) != 0 {
				t.Errorf("/{proxy+} has a documented-method operation; want only x-amazon-apigateway-any-method")
			}
			for _, key := range slices.Sorted(maps.Keys(deployed)) {
				got, want := deployed[key], documented[key]
				if _, ok := documented[key]; !ok {
					t.Errorf("%s is deployed but not in docs/openapi.yaml", key)
					continue
				}
				if got.OperationID != want.OperationID || !slices.Equal(got.PathParams, want.PathParams) {
					t.Errorf("%s: template %+v, docs/openapi.yaml %+v", key, got, want)
				}
			}
			for key := range documented {
				if _, ok := deployed[key]; !ok {
					t.Errorf("%s is in docs/openapi.yaml but not deployed", key)
				}
			}
			for key, op := range deployed {
				if op.OperationID == "" {
					t.Errorf("%s has no operationId", key)
				}
			}
		})
	}
}
