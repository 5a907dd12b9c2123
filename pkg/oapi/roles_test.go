package oapi_test

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/auth"
	"gerbang/pkg/httpx"
	"gerbang/pkg/oapi"
)

const rolesContract = `
openapi: 3.0.3
info: {title: roles, version: 0.0.0}
paths:
  /v1/things:
    get:
      operationId: listThings
      x-roles: [business, auditor]
      responses: {"200": {description: ok}}
    post:
      operationId: createThing
      x-roles: [business]
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}}}
      responses: {"201": {description: ok}}
  /v1/public:
    get:
      operationId: readPublic
      responses: {"200": {description: ok}}
`

func rolesSpec(t *testing.T, src string) *openapi3.T {
	t.Helper()
	spec, err := openapi3.NewLoader().LoadFromData([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func TestRolesAreReadFromTheContract(t *testing.T) {
	roles, err := oapi.Roles(rolesSpec(t, rolesContract))
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 2 || !slices.Equal(roles["listThings"], []string{"business", "auditor"}) || !slices.Equal(roles["createThing"], []string{"business"}) {
		t.Fatalf("roles = %v", roles)
	}
	if _, err := oapi.Roles(rolesSpec(t, strings.Replace(rolesContract, "[business]", "[wizard]", 1))); err == nil {
		t.Fatal("an unknown role was accepted")
	}
}

func TestTheValidatorAdmitsOnlyTheRolesTheContractLists(t *testing.T) {
	validate, err := oapi.Validator(rolesSpec(t, rolesContract), oapi.Options{EnforceRoles: true})
	if err != nil {
		t.Fatal(err)
	}
	app := httpx.New(httpx.Options{Name: "test"})
	app.Use(func(c *fiber.Ctx) error { // signs the caller in with the roles the test names
		if r := c.Get("X-Test-Roles"); r != "" {
			auth.SetPrincipal(c, auth.Principal{Subject: "u1", Roles: strings.Split(r, ",")})
		}
		return c.Next()
	})
	app.Use(validate)
	ok := func(c *fiber.Ctx) error { return c.SendStatus(200) }
	app.Get("/v1/things", ok)
	app.Post("/v1/things", ok)
	app.Get("/v1/public", ok)
	for _, tc := range []struct {
		method, path, roles, body string
		want                      int
	}{
		{"GET", "/v1/things", "", "", 401},
		{"GET", "/v1/things", "finance", "", 403},
		{"GET", "/v1/things", "auditor", "", 200},
		{"GET", "/v1/things", "finance,business", "", 200},
		{"POST", "/v1/things", "auditor", `{"name":"a"}`, 403},
		{"POST", "/v1/things", "", `{}`, 401}, // the role is checked before the body
		{"POST", "/v1/things", "business", `{}`, 400},
		{"POST", "/v1/things", "business", `{"name":"a"}`, 200},
		{"GET", "/v1/public", "", "", 200},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		if tc.roles != "" {
			req.Header.Set("X-Test-Roles", tc.roles)
		}
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s as %q: %d, want %d", tc.method, tc.path, tc.roles, resp.StatusCode, tc.want)
		}
		if tc.want == 401 && resp.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s %s anonymous: WWW-Authenticate %q", tc.method, tc.path, resp.Header.Get("WWW-Authenticate"))
		}
	}
}
