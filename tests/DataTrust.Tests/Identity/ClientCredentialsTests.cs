using System.Net;
using System.Security.Cryptography;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using Microsoft.IdentityModel.JsonWebTokens;

namespace DataTrust.Tests.Identity;

/// <summary>Client authentication, client_credentials, JWT access tokens, introspection and revocation.</summary>
public abstract class ClientCredentialsTests(StorageProvider provider) : IDisposable
{
    private readonly OidcFactory _factory = new(provider);

    public void Dispose() => _factory.Dispose();

    private HttpClient Http() => _factory.CreateClient(new() { AllowAutoRedirect = false });

    private static async Task<string> BusinessTokenAsync(HttpClient http, string? resource = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (resource is not null)
        {
            form["resource"] = resource;
        }

        var response = await http.SendAsync(Oidc.TokenRequest(form, "demo-business", Oidc.BusinessSecret));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await Oidc.Json(response)).GetProperty("access_token").GetString()!;
    }

    [Fact]
    public async Task Client_credentials_with_basic_authentication_issue_an_RFC_9068_access_token()
    {
        using var http = Http();
        var response = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, "demo-business", Oidc.BusinessSecret));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
        var body = await Oidc.Json(response);
        body.GetProperty("token_type").GetString().ShouldBe("Bearer");
        body.GetProperty("expires_in").GetInt32().ShouldBe(600);
        var jwt = new JsonWebToken(body.GetProperty("access_token").GetString());
        jwt.Typ.ShouldBe("at+jwt");
        jwt.Alg.ShouldBe("ES256");
        jwt.Issuer.ShouldBe(Oidc.Issuer);
        jwt.Subject.ShouldBe("demo-business");
        jwt.Audiences.ShouldBe([Oidc.Issuer]);
        jwt.GetClaim("client_id").Value.ShouldBe("demo-business");
        jwt.Id.ShouldNotBeNullOrEmpty();
        jwt.TryGetPayloadValue<long>("iat", out _).ShouldBeTrue();
        jwt.TryGetPayloadValue<long>("exp", out _).ShouldBeTrue();
        _factory.Logs.All.ShouldNotContain(body.GetProperty("access_token").GetString()!);
        var entry = (await Oidc.TokenAuditAsync(_factory)).ShouldHaveSingleItem();
        entry.Action.ShouldBe("token.issued");
        (entry.ActorType, entry.ActorId, entry.Recipient, entry.Subject, entry.Consent).ShouldBe(("client", "demo-business", "demo-business", null, null));
        entry.Details.ShouldBe("""{"grant_type":"client_credentials"}""");
    }

    [Fact]
    public async Task Concurrent_requests_each_get_a_stored_token_and_exactly_one_audit_entry()
    {
        using var factory = new OidcFactory(provider, new Dictionary<string, string?> { ["RateLimiting:Sensitive:Burst"] = "1000" });
        using var http = factory.CreateClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ =>
            http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, "demo-business", Oidc.BusinessSecret))));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        var tokens = await Task.WhenAll(responses.Select(async r => (await Oidc.Json(r)).GetProperty("access_token").GetString()!));
        tokens.Select(t => new JsonWebToken(t).Id).Distinct().Count().ShouldBe(24);
        (await Oidc.AccessTokenCount(factory)).ShouldBe(24);
        var entries = await Oidc.TokenAuditAsync(factory);
        entries.Count.ShouldBe(24);
        entries.ShouldAllBe(e => e.Action == "token.issued" && e.Recipient == "demo-business");
        foreach (var token in tokens)
        {
            var introspection = await Oidc.Json(await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, "demo-business", Oidc.BusinessSecret, "/connect/introspect")));
            introspection.GetProperty("active").GetBoolean().ShouldBeTrue("a token is committed before it is sent");
        }
    }

    [Fact]
    public async Task Client_secret_post_is_refused_for_a_client_registered_for_basic()
    {
        using var http = Http();
        var response = await http.SendAsync(Oidc.TokenRequest(new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "demo-business",
            ["client_secret"] = Oidc.BusinessSecret,
        }));

        await Oidc.ShouldBeOAuthError(response, "invalid_client", HttpStatusCode.Unauthorized);
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);
    }

    [Fact]
    public async Task A_wrong_secret_is_invalid_client_with_a_Basic_challenge_and_issues_nothing()
    {
        using var http = Http();
        var response = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, "demo-business", "wrong-secret"));

        await Oidc.ShouldBeOAuthError(response, "invalid_client", HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().ShouldStartWith("Basic");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);
        (await Oidc.TokenAuditAsync(_factory)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Two_authentication_methods_at_once_are_an_invalid_request()
    {
        using var http = Http();
        var response = await http.SendAsync(Oidc.TokenRequest(
            new() { ["grant_type"] = "client_credentials", ["client_secret"] = Oidc.BusinessSecret }, "demo-business", Oidc.BusinessSecret));

        await Oidc.ShouldBeOAuthError(response, "invalid_request");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);
    }

    [Theory]
    [InlineData("password")]
    [InlineData("implicit")]
    [InlineData("urn:ietf:params:oauth:grant-type:device_code")]
    public async Task Grants_the_server_does_not_offer_are_unsupported_grant_type(string grantType)
    {
        using var http = Http();
        var response = await http.SendAsync(Oidc.TokenRequest(
            new() { ["grant_type"] = grantType, ["username"] = "hanako@example.jp", ["password"] = "DataTrust-demo-2026" }, "demo-business", Oidc.BusinessSecret));

        await Oidc.ShouldBeOAuthError(response, "unsupported_grant_type");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);
    }

    [Fact]
    public async Task A_public_client_cannot_use_client_credentials()
    {
        using var http = Http();
        var response = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials", ["client_id"] = "demo-city-app" }));

        await Oidc.ShouldBeOAuthError(response, "unauthorized_client");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);
    }

    [Fact]
    public async Task An_unregistered_scope_is_invalid_scope()
    {
        using var http = Http();
        var response = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials", ["scope"] = "vault.read" }, "demo-business", Oidc.BusinessSecret));

        await Oidc.ShouldBeOAuthError(response, "invalid_scope");
    }

    [Fact]
    public async Task A_resource_the_server_does_not_serve_is_invalid_target()
    {
        using var http = Http();
        var response = await http.SendAsync(Oidc.TokenRequest(
            new() { ["grant_type"] = "client_credentials", ["resource"] = "https://elsewhere.example/api" }, "demo-business", Oidc.BusinessSecret));

        await Oidc.ShouldBeOAuthError(response, "invalid_target");
    }

    [Fact]
    public async Task Private_key_jwt_authenticates_once_and_a_replayed_assertion_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await Oidc.AddClientAsync(_factory, new Client
        {
            ClientId = "jwt-client",
            DisplayName = "JWT client",
            Kind = ClientKind.DataProvider,
            TokenEndpointAuthMethod = "private_key_jwt",
            Jwks = Oidc.PublicJwks(key),
            GrantTypes = ["client_credentials"],
        });
        using var http = Http();
        var assertion = Oidc.ClientAssertion(key, "jwt-client", Oidc.Issuer);
        Dictionary<string, string> Form() => new()
        {
            ["grant_type"] = "client_credentials",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = assertion,
        };

        var first = await http.SendAsync(Oidc.TokenRequest(Form()));
        var replay = await http.SendAsync(Oidc.TokenRequest(Form()));

        first.StatusCode.ShouldBe(HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        await Oidc.ShouldBeOAuthError(replay, "invalid_client", HttpStatusCode.Unauthorized);
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(1);
    }

    [Fact]
    public async Task A_client_assertion_for_another_audience_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await Oidc.AddClientAsync(_factory, new Client
        {
            ClientId = "jwt-client",
            DisplayName = "JWT client",
            Kind = ClientKind.DataProvider,
            TokenEndpointAuthMethod = "private_key_jwt",
            Jwks = Oidc.PublicJwks(key),
            GrantTypes = ["client_credentials"],
        });
        using var http = Http();

        var response = await http.SendAsync(Oidc.TokenRequest(new()
        {
            ["grant_type"] = "client_credentials",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = Oidc.ClientAssertion(key, "jwt-client", "https://other-server.example"),
        }));

        await Oidc.ShouldBeOAuthError(response, "invalid_client", HttpStatusCode.Unauthorized);
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);
    }

    [Fact]
    public async Task Introspection_shows_a_live_token_and_revocation_makes_it_inactive()
    {
        using var http = Http();
        var token = await BusinessTokenAsync(http);

        var live = await Oidc.Json(await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, "demo-business", Oidc.BusinessSecret, "/connect/introspect")));
        var revoke = await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, "demo-business", Oidc.BusinessSecret, "/connect/revoke"));
        var after = await Oidc.Json(await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, "demo-business", Oidc.BusinessSecret, "/connect/introspect")));

        live.GetProperty("active").GetBoolean().ShouldBeTrue();
        live.GetProperty("client_id").GetString().ShouldBe("demo-business");
        live.GetProperty("token_type").GetString().ShouldBe("Bearer");
        revoke.StatusCode.ShouldBe(HttpStatusCode.OK);
        after.GetProperty("active").GetBoolean().ShouldBeFalse();
        after.EnumerateObject().Count().ShouldBe(1);
    }

    [Fact]
    public async Task Introspecting_its_own_live_token_with_a_wrong_secret_or_another_method_is_refused_and_says_nothing_of_the_token()
    {
        using var http = Http();
        var token = await BusinessTokenAsync(http);

        // The token's row comes with its client's row, which then checks the caller: it must refuse as the database would.
        var wrongSecret = await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, "demo-business", "not-the-secret", "/connect/introspect"));
        var unauthenticated = await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = token, ["client_id"] = "demo-business" }, path: "/connect/introspect"));
        var wrongMethod = await http.SendAsync(Oidc.TokenRequest(
            new() { ["token"] = token, ["client_id"] = "demo-business", ["client_secret"] = Oidc.BusinessSecret }, path: "/connect/introspect"));

        foreach (var response in new[] { wrongSecret, unauthenticated, wrongMethod })
        {
            var body = await response.Content.ReadAsStringAsync();
            await Oidc.ShouldBeOAuthError(response, "invalid_client", HttpStatusCode.Unauthorized);
            body.ShouldNotContain("active");
        }
    }

    [Fact]
    public async Task Introspection_by_another_client_of_a_token_for_the_provider_itself_is_inactive()
    {
        using var http = Http();
        var token = await BusinessTokenAsync(http);

        var seen = await Oidc.Json(await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, "demo-provider", "demo-provider-secret", "/connect/introspect")));

        seen.GetProperty("active").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task Unknown_expired_and_garbage_tokens_introspect_inactive()
    {
        using var http = Http();
        var token = await BusinessTokenAsync(http);
        _factory.Clock.Advance(TimeSpan.FromMinutes(11));

        foreach (var candidate in new[] { token, "not-a-token", token[..^4] + "AAAA" })
        {
            var body = await Oidc.Json(await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = candidate }, "demo-business", Oidc.BusinessSecret, "/connect/introspect")));
            body.GetProperty("active").GetBoolean().ShouldBeFalse();
        }
    }

    [Fact]
    public async Task Public_clients_may_not_introspect()
    {
        using var http = Http();
        var response = await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = "x", ["client_id"] = "demo-city-app" }, path: "/connect/introspect"));

        await Oidc.ShouldBeOAuthError(response, "invalid_client", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_request_that_is_not_a_form_post_is_an_invalid_request()
    {
        using var http = Http();
        var response = await http.PostAsync("/connect/token", new StringContent("{\"grant_type\":\"client_credentials\"}", System.Text.Encoding.UTF8, "application/json"));

        await Oidc.ShouldBeOAuthError(response, "invalid_request");
    }
}

public sealed class SqliteClientCredentialsTests() : ClientCredentialsTests(StorageProvider.Sqlite);

public sealed class PostgresClientCredentialsTests() : ClientCredentialsTests(StorageProvider.Postgres);
