package provider_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/provider"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

const (
	listenerAddress = "thingspace_callback_listener.test"
	listenerURL     = "https://relay.example.com/callbacks"
)

// defaultListenerID is the id of a listener that leaves account_name and service_name unset.
var defaultListenerID = simulator.DefaultAccount + "/" + thingspace.ServiceDeviceProfile

// listenerConfig renders the provider block and a listener with the given arguments.
func listenerConfig(env *acctest.Env, arguments string) string {
	return env.ProviderConfig() + fmt.Sprintf("\nresource \"thingspace_callback_listener\" \"test\" {\n%s\n}\n", arguments)
}

// listenerArguments are url, username and password.
func listenerArguments(url, username, password string) string {
	return fmt.Sprintf("  url      = %q\n  username = %q\n  password = %q", url, username, password)
}

func listenerValue(attr string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(listenerAddress, tfjsonpath.New(attr), check)
}

// checkListenerCalls asserts how many requests of one method reached the simulator's listener
// endpoints: POST registers, GET lists, DELETE deregisters.
func checkListenerCalls(env *acctest.Env, method string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := listenerCalls(env, method); got != want {
			return fmt.Errorf("the simulator received %d %s request(s) for callback listeners, want %d", got, method, want)
		}
		return nil
	}
}

func listenerCalls(env *acctest.Env, method string) int {
	n := 0
	for _, r := range env.Sim.Requests() {
		if r.Endpoint == simulator.EndpointCallbacks && r.Method == method {
			n++
		}
	}
	return n
}

// checkRegistered asserts what the simulator holds for an account's service; a nil want
// asserts that nothing is registered.
func checkRegistered(env *acctest.Env, account, service string, want *thingspace.CallbackListener) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for _, l := range env.Sim.Listeners() {
			if l.Account != account || l.Name != service {
				continue
			}
			if want == nil {
				return fmt.Errorf("the simulator still has the listener %s/%s: %s", account, service, l.URL)
			}
			if l.CallbackListener != *want {
				return fmt.Errorf("the simulator has %+v registered for %s/%s, want %+v", l.CallbackListener, account, service, *want)
			}
			return nil
		}
		if want != nil {
			return fmt.Errorf("the simulator has no listener for %s/%s", account, service)
		}
		return nil
	}
}

func TestAccCallbackListener_createUpdateImportDestroy(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	const movedURL = "https://relay.example.com:9001/callbacks"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: listenerConfig(env, listenerArguments(listenerURL, "thingspace", "s3cret")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(listenerAddress, plancheck.ResourceActionCreate),
					// The reviewer sees where the listener goes, not "known after apply".
					plancheck.ExpectKnownValue(listenerAddress, tfjsonpath.New("account_name"), knownvalue.StringExact(simulator.DefaultAccount)),
					plancheck.ExpectKnownValue(listenerAddress, tfjsonpath.New("service_name"), knownvalue.StringExact(thingspace.ServiceDeviceProfile)),
					plancheck.ExpectKnownValue(listenerAddress, tfjsonpath.New("id"), knownvalue.StringExact(defaultListenerID)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					listenerValue("id", knownvalue.StringExact(defaultListenerID)),
					listenerValue("url", knownvalue.StringExact(listenerURL)),
					listenerValue("username", knownvalue.StringExact("thingspace")),
					listenerValue("password", knownvalue.StringExact("s3cret")),
					listenerValue("password_wo", knownvalue.Null()),
				},
				Check: resource.ComposeTestCheckFunc(
					checkListenerCalls(env, http.MethodPost, 1),
					checkRegistered(env, simulator.DefaultAccount, thingspace.ServiceDeviceProfile, &thingspace.CallbackListener{
						Name: thingspace.ServiceDeviceProfile, URL: listenerURL, Username: "thingspace", Password: "s3cret"}),
				),
			},
			{
				// A new URL is registered again in place: ThingSpace replaces the listener.
				Config: listenerConfig(env, listenerArguments(movedURL, "thingspace", "s3cret")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(listenerAddress, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(listenerAddress, tfjsonpath.New("id"), knownvalue.StringExact(defaultListenerID)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{listenerValue("url", knownvalue.StringExact(movedURL))},
				Check: resource.ComposeTestCheckFunc(
					checkListenerCalls(env, http.MethodPost, 2),
					checkListenerCalls(env, http.MethodDelete, 0),
					checkRegistered(env, simulator.DefaultAccount, thingspace.ServiceDeviceProfile, &thingspace.CallbackListener{
						Name: thingspace.ServiceDeviceProfile, URL: movedURL, Username: "thingspace", Password: "s3cret"}),
				),
			},
			{
				ResourceName:      listenerAddress,
				ImportState:       true,
				ImportStateVerify: true,
				// ThingSpace's list echoes the password, but the provider never reads it back.
				ImportStateVerifyIgnore: []string{"password"},
			},
			{
				ResourceName:  listenerAddress,
				ImportState:   true,
				ImportStateId: simulator.DefaultAccount,
				ExpectError:   errorPattern(`Cannot import callback listener "`+simulator.DefaultAccount+`"`, "joined by \"/\""),
			},
			{
				ResourceName:  listenerAddress,
				ImportState:   true,
				ImportStateId: simulator.DefaultAccount + "/NoSuchService",
				ExpectError:   errorPattern("Cannot import non-existent remote object"),
			},
		},
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkListenerCalls(env, http.MethodDelete, 1),
			checkRegistered(env, simulator.DefaultAccount, thingspace.ServiceDeviceProfile, nil),
		),
	})
}

func TestAccCallbackListener_otherAccountAndServiceReplace(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	arguments := listenerArguments(listenerURL, "thingspace", "s3cret")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: listenerConfig(env, arguments+fmt.Sprintf("\n  account_name = %q", simulator.TestAccount)),
				ConfigStateChecks: []statecheck.StateCheck{
					listenerValue("id", knownvalue.StringExact(simulator.TestAccount+"/"+thingspace.ServiceDeviceProfile)),
				},
			},
			{
				Config: listenerConfig(env, arguments+fmt.Sprintf("\n  account_name = %q\n  service_name = \"OtherService\"", simulator.TestAccount)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(listenerAddress, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{listenerValue("id", knownvalue.StringExact(simulator.TestAccount+"/OtherService"))},
				Check: resource.ComposeTestCheckFunc(
					checkRegistered(env, simulator.TestAccount, thingspace.ServiceDeviceProfile, nil),
					checkRegistered(env, simulator.TestAccount, "OtherService", &thingspace.CallbackListener{
						Name: "OtherService", URL: listenerURL, Username: "thingspace", Password: "s3cret"}),
				),
			},
			{
				// Back to the provider's account: the plan says so, and replaces.
				Config: listenerConfig(env, arguments+"\n  service_name = \"OtherService\""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(listenerAddress, plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectKnownValue(listenerAddress, tfjsonpath.New("account_name"), knownvalue.StringExact(simulator.DefaultAccount)),
				}},
				Check: checkListenerCalls(env, http.MethodPost, 3),
			},
		},
	})
}

func TestAccCallbackListener_driftIsRepaired(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	cfg := listenerConfig(env, listenerArguments(listenerURL, "thingspace", "s3cret"))
	registered := thingspace.CallbackListener{Name: thingspace.ServiceDeviceProfile, URL: listenerURL, Username: "thingspace", Password: "s3cret"}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				// Someone registers another URL and username behind Terraform's back.
				PreConfig: func() {
					env.Sim.RegisterListener(simulator.DefaultAccount, thingspace.CallbackListener{
						Name: thingspace.ServiceDeviceProfile, URL: "https://elsewhere.example.com/cb", Username: "someone", Password: "x"})
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(listenerAddress, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					checkListenerCalls(env, http.MethodPost, 2),
					checkRegistered(env, simulator.DefaultAccount, thingspace.ServiceDeviceProfile, &registered),
				),
			},
			{
				// Someone deregisters it: the next apply registers it again.
				PreConfig: func() { env.Sim.RemoveListener(simulator.DefaultAccount, thingspace.ServiceDeviceProfile) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(listenerAddress, plancheck.ResourceActionCreate),
				}},
				Check: resource.ComposeTestCheckFunc(
					checkListenerCalls(env, http.MethodPost, 3),
					checkRegistered(env, simulator.DefaultAccount, thingspace.ServiceDeviceProfile, &registered),
				),
			},
		},
	})
}

func TestAccCallbackListener_writeOnlyPassword(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	withPassword := func(password string, version int) string {
		return listenerConfig(env, fmt.Sprintf("  url = %q\n  username = \"thingspace\"\n  password_wo = %q\n  password_wo_version = %d",
			listenerURL, password, version))
	}
	registeredWith := func(password string) resource.TestCheckFunc {
		return checkRegistered(env, simulator.DefaultAccount, thingspace.ServiceDeviceProfile, &thingspace.CallbackListener{
			Name: thingspace.ServiceDeviceProfile, URL: listenerURL, Username: "thingspace", Password: password})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{
			{
				Config: withPassword("first-secret", 1),
				ConfigStateChecks: []statecheck.StateCheck{
					listenerValue("password_wo", knownvalue.Null()),
					listenerValue("password", knownvalue.Null()),
					listenerValue("password_wo_version", knownvalue.Int64Exact(1)),
				},
				Check: resource.ComposeTestCheckFunc(
					checkListenerCalls(env, http.MethodPost, 1),
					registeredWith("first-secret"),
					checkSecretNotInState("first-secret"),
				),
			},
			{
				// Terraform cannot see a write-only value change: nothing happens until the
				// version says so.
				Config: withPassword("second-secret", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				Check: resource.ComposeTestCheckFunc(checkListenerCalls(env, http.MethodPost, 1), registeredWith("first-secret")),
			},
			{
				Config: withPassword("second-secret", 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(listenerAddress, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					checkListenerCalls(env, http.MethodPost, 2),
					registeredWith("second-secret"),
					checkSecretNotInState("second-secret"),
				),
			},
			{
				ResourceName:            listenerAddress,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"password_wo_version"},
			},
		},
	})
}

// checkSecretNotInState fails when any attribute in the state holds secret.
func checkSecretNotInState(secret string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for address, rs := range s.RootModule().Resources {
			for attr, value := range rs.Primary.Attributes {
				if strings.Contains(value, secret) {
					return fmt.Errorf("the state of %s holds the write-only password in %s", address, attr)
				}
			}
		}
		return nil
	}
}

// TestAccCallbackListener_writeOnlyNeedsTheClientCapability sends the validation a Terraform
// CLI before 1.11 sends (no write-only capability), which the installed CLI cannot.
func TestAccCallbackListener_writeOnlyNeedsTheClientCapability(t *testing.T) {
	ctx := context.Background()
	server, err := providerserver.NewProtocol6WithError(provider.New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	typ, ok := schemas.ResourceSchemas["thingspace_callback_listener"].ValueType().(tftypes.Object)
	if !ok {
		t.Fatalf("the resource's schema is not an object: %v", schemas.ResourceSchemas["thingspace_callback_listener"])
	}
	values := map[string]tftypes.Value{}
	for name, attrType := range typ.AttributeTypes {
		values[name] = tftypes.NewValue(attrType, nil)
	}
	values["url"] = tftypes.NewValue(tftypes.String, listenerURL)
	values["username"] = tftypes.NewValue(tftypes.String, "thingspace")
	values["password_wo"] = tftypes.NewValue(tftypes.String, "s3cret")
	config, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, values))
	if err != nil {
		t.Fatal(err)
	}
	validate := func(capabilities *tfprotov6.ValidateResourceConfigClientCapabilities) []*tfprotov6.Diagnostic {
		resp, err := server.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{
			TypeName: "thingspace_callback_listener", Config: &config, ClientCapabilities: capabilities})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Diagnostics
	}

	diags := validate(nil)
	found := false
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError && strings.Contains(d.Summary, "Cannot use password_wo") &&
			strings.Contains(d.Detail, "Set password instead") {
			found = true
		}
	}
	if !found {
		t.Errorf("without the write-only capability, diagnostics = %v; want one saying to set password instead", describe(diags))
	}
	if diags := validate(&tfprotov6.ValidateResourceConfigClientCapabilities{WriteOnlyAttributesAllowed: true}); len(diags) != 0 {
		t.Errorf("with the write-only capability, diagnostics = %v; want none", describe(diags))
	}
}

func describe(diags []*tfprotov6.Diagnostic) string {
	var parts []string
	for _, d := range diags {
		parts = append(parts, fmt.Sprintf("%s: %s: %s", d.Severity, d.Summary, d.Detail))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// TestAccCallbackListener_writeOnlyRefusedBeforeTerraform111 is the same refusal through a real
// CLI, where one older than 1.11 runs the tests.
func TestAccCallbackListener_writeOnlyRefusedBeforeTerraform111(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{skipWhereWriteOnlyIsSupported{}},
		Steps: []resource.TestStep{{
			Config:      listenerConfig(env, fmt.Sprintf("  url = %q\n  username = \"u\"\n  password_wo = \"s3cret\"", listenerURL)),
			PlanOnly:    true,
			ExpectError: errorPattern("Cannot use password_wo", "Set password instead"),
		}},
	})
}

// skipWhereWriteOnlyIsSupported skips a test on Terraform 1.11 and later. tfversion.SkipAbove
// cannot say it: SkipAbove(1.10.0) would skip 1.10.1 too.
type skipWhereWriteOnlyIsSupported struct{}

func (skipWhereWriteOnlyIsSupported) CheckTerraformVersion(_ context.Context, req tfversion.CheckTerraformVersionRequest,
	resp *tfversion.CheckTerraformVersionResponse) {
	if !req.TerraformVersion.Core().LessThan(tfversion.Version1_11_0) {
		resp.Skip = fmt.Sprintf("Terraform %s supports write-only attributes", req.TerraformVersion)
	}
}

func TestAccCallbackListener_planTimeValidation(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	plan := func(arguments string, want ...string) resource.TestStep {
		return resource.TestStep{Config: listenerConfig(env, arguments), PlanOnly: true, ExpectError: errorPattern(want...)}
	}
	steps := []resource.TestStep{
		plan(listenerArguments("ftp://relay.example.com/callbacks", "u", "p"), "Invalid URL", "not an absolute http:// or https:// URL"),
		plan(listenerArguments("relay.example.com/callbacks", "u", "p"), "Invalid URL", "with its scheme"),
		plan(listenerArguments("https://relay.example.com:8443/callbacks", "u", "p"), "Callback port not allowed", thingspace.CallbackPortsText(), "not to port 8443"),
		plan(listenerArguments("http://127.0.0.1:8080/callbacks", "u", "p"), "Callback port not allowed", "not to port 8080"),
		plan(listenerArguments("https://u:p@relay.example.com/callbacks", "u", "p"), "Invalid URL", "must not carry credentials"),
		plan(fmt.Sprintf("  url = %q\n  username = \"u\"", listenerURL), "Cannot register the callback listener without a password"),
		plan(listenerArguments(listenerURL, "u", "p")+"\n  service_name = \"a/b\"", "service_name", `must not contain "/"`),
		plan(listenerArguments(listenerURL, "u", "p")+"\n  password_wo_version = 1", "password_wo_version without password_wo"),
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps:                    steps,
	})
	if got := env.Sim.Count(simulator.EndpointCallbacks); got != 0 {
		t.Errorf("plan-time errors sent %d callback listener request(s) to ThingSpace, want none", got)
	}
}

func TestAccCallbackListener_bothPasswordsRefused(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		// Older CLIs refuse password_wo itself (see TestAccCallbackListener_writeOnlyRefusedBeforeTerraform111).
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{{
			Config:      listenerConfig(env, listenerArguments(listenerURL, "u", "p")+"\n  password_wo = \"p\""),
			PlanOnly:    true,
			ExpectError: errorPattern("Cannot register the callback listener with two passwords", "Keep exactly one"),
		}},
	})
}

func TestAccCallbackListener_failures(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	cfg := listenerConfig(env, listenerArguments(listenerURL, "thingspace", "s3cret"))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				// A 502 leaves open whether ThingSpace registered it: sent once, and the error
				// says that registering again is safe.
				PreConfig: func() {
					env.Sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointCallbacks, Method: http.MethodPost, Status: http.StatusBadGateway})
				},
				Config: cfg,
				ExpectError: errorPattern("Outcome of registering the callback listener "+defaultListenerID+" unknown",
					"502", "Registering again replaces whatever is registered", "Nothing was saved to state"),
			},
			{
				Config: listenerConfig(env, listenerArguments(listenerURL, "thingspace", "s3cret")+"\n  account_name = \"9999999999-99999\""),
				ExpectError: errorPattern("Cannot register the callback listener 9999999999-99999/"+thingspace.ServiceDeviceProfile,
					thingspace.CodeAccountNotFound, "Check account_name"),
			},
			{
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(
					// One sent with the fault, one refused for the account, and this one.
					checkListenerCalls(env, http.MethodPost, 3),
				),
			},
			{
				PreConfig: func() {
					env.Sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointCallbacks, Method: http.MethodGet,
						Status: http.StatusBadRequest, Body: `{"errorCode":"UnifiedWebService.REQUEST_FAILED.UnexpectedError","errorMessage":"Try later."}`})
				},
				Config:      cfg,
				ExpectError: errorPattern("Cannot read the callback listener "+defaultListenerID+" from ThingSpace", "Try later", "The state is unchanged"),
			},
			{
				PreConfig: func() {
					env.Sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointCallbacks, Method: http.MethodDelete,
						Status: http.StatusBadRequest, Body: `{"errorCode":"UnifiedWebService.REQUEST_FAILED.UnexpectedError","errorMessage":"Try later."}`})
				},
				Config:      cfg,
				Destroy:     true,
				ExpectError: errorPattern("Cannot deregister the callback listener "+defaultListenerID, "Try later", "run the destroy again"),
			},
		},
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkListenerCalls(env, http.MethodDelete, 2),
			checkRegistered(env, simulator.DefaultAccount, thingspace.ServiceDeviceProfile, nil),
		),
	})
}
