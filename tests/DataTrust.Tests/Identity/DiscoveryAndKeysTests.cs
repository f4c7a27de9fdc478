using System.Net;
using System.Text.Json;
using DataTrust.Identity.Keys;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace DataTrust.Tests.Identity;

/// <summary>Discovery metadata, the JWK Set, and signing-key rotation.</summary>
public sealed class DiscoveryAndKeysTests : IDisposable
{
    private readonly OidcFactory _factory = new(StorageProvider.Sqlite);

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Discovery_advertises_exactly_what_is_implemented()
    {
        using var http = _factory.CreateClient();

        var response = await http.GetAsync("/.well-known/openid-configuration");
        var metadata = await Oidc.Json(response);
        var oauth = await Oidc.Json(await http.GetAsync("/.well-known/oauth-authorization-server"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        metadata.GetProperty("issuer").GetString().ShouldBe(Oidc.Issuer);
        oauth.GetProperty("issuer").GetString().ShouldBe(Oidc.Issuer);
        Strings(metadata, "response_types_supported").ShouldBe(["code"]);
        Strings(metadata, "code_challenge_methods_supported").ShouldBe(["S256"]);
        Strings(metadata, "grant_types_supported").ShouldBe(["authorization_code", "refresh_token", "client_credentials"], ignoreOrder: true);
        Strings(metadata, "subject_types_supported").ShouldBe(["pairwise"]);
        Strings(metadata, "id_token_signing_alg_values_supported").ShouldBe(["ES256", "RS256"], ignoreOrder: true);
        Strings(metadata, "token_endpoint_auth_methods_supported").ShouldBe(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"], ignoreOrder: true);
        Strings(metadata, "dpop_signing_alg_values_supported").ShouldBe(["ES256", "RS256", "PS256"], ignoreOrder: true);
        metadata.GetProperty("authorization_response_iss_parameter_supported").GetBoolean().ShouldBeTrue();
        metadata.GetProperty("require_pushed_authorization_requests").GetBoolean().ShouldBeFalse();
        metadata.GetProperty("request_uri_parameter_supported").GetBoolean().ShouldBeFalse();
        foreach (var endpoint in new[] { "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "pushed_authorization_request_endpoint",
                     "introspection_endpoint", "revocation_endpoint", "end_session_endpoint" })
        {
            var url = metadata.GetProperty(endpoint).GetString()!;
            url.ShouldStartWith(Oidc.Issuer + "/");
            var path = url[Oidc.Issuer.Length..];
            var probe = endpoint is "token_endpoint" or "pushed_authorization_request_endpoint" or "introspection_endpoint" or "revocation_endpoint"
                ? await http.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>()))
                : await http.GetAsync(path);
            probe.StatusCode.ShouldNotBe(HttpStatusCode.NotFound, endpoint);
        }
    }

    [Fact]
    public async Task An_issuer_that_is_configured_is_used_whatever_the_request_host()
    {
        using var configured = new OidcFactory(StorageProvider.Sqlite, new Dictionary<string, string?> { ["DataTrust:Issuer"] = "https://id.example.city/" });
        using var http = configured.CreateClient();

        var metadata = await Oidc.Json(await http.GetAsync("/.well-known/openid-configuration"));

        metadata.GetProperty("issuer").GetString().ShouldBe("https://id.example.city");
        metadata.GetProperty("token_endpoint").GetString().ShouldBe("https://id.example.city/connect/token");
    }

    [Fact]
    public async Task The_JWK_Set_has_public_ES256_and_RS256_keys_and_no_private_parts()
    {
        using var http = _factory.CreateClient();

        var response = await http.GetAsync("/.well-known/jwks.json");
        var text = await response.Content.ReadAsStringAsync();
        var keys = JsonDocument.Parse(text).RootElement.GetProperty("keys").EnumerateArray().ToList();

        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/jwk-set+json");
        keys.Select(k => k.GetProperty("alg").GetString()).ShouldBe(["ES256", "RS256"], ignoreOrder: true);
        keys.ShouldAllBe(k => k.GetProperty("use").GetString() == "sig" && k.GetProperty("kid").GetString()!.Length == 43);
        foreach (var member in new[] { "\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\"" })
        {
            text.ShouldNotContain(member);
        }

        await using var db = _factory.NewDbContext();
        var stored = await db.Set<SigningKey>().ToListAsync();
        stored.ShouldAllBe(k => !k.ProtectedPrivateKey.Contains("PRIVATE", StringComparison.Ordinal) && k.ProtectedPrivateKey.Length > 100);
    }

    [Fact]
    public async Task A_rotated_key_is_published_before_it_signs_and_the_old_key_stays_published_until_its_tokens_expire()
    {
        using var http = _factory.CreateClient();
        var before = await KeyIdsAsync(http);
        var store = _factory.Services.GetRequiredService<SigningKeyStore>();

        var created = await store.RotateAsync(TimeSpan.FromHours(1), DataTrust.Audit.Events.AuditActor.System("test"), CancellationToken.None);
        (await store.RotateAsync(TimeSpan.FromHours(1), DataTrust.Audit.Events.AuditActor.System("test"), CancellationToken.None)).ShouldBeEmpty("a second rotation waits for the first");

        var newEs256 = created.Single(k => k.Algorithm == "ES256").KeyId;
        var oldEs256 = before.Single(k => k.Alg == "ES256").Kid;
        await using (var db = _factory.NewDbContext())
        {
            var keyEntries = await db.Set<DataTrust.Audit.Storage.AuditEntry>().AsNoTracking()
                .Where(e => e.Action.StartsWith("key.")).OrderBy(e => e.Seq).Select(e => new { e.Action, e.ActorId, e.Objects }).ToListAsync();
            keyEntries.Count(e => e.Action == "key.created" && e.ActorId == "startup").ShouldBe(2, "start-up created one key per algorithm");
            keyEntries.Count(e => e.Action == "key.created" && e.ActorId == "test").ShouldBe(2);
            keyEntries.Count(e => e.Action == "key.retired" && e.ActorId == "test").ShouldBe(2);
            keyEntries.ShouldContain(e => e.Action == "key.created" && e.Objects.Contains(newEs256));
            keyEntries.ShouldContain(e => e.Action == "key.retired" && e.Objects.Contains(oldEs256));
        }

        (await KeyIdsAsync(http)).Select(k => k.Kid).ShouldContain(newEs256, "published at once");
        SignerOf(await ClientTokenAsync(http)).ShouldBe(oldEs256, "still signing with the old key during the publish delay");

        _factory.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(31));
        SignerOf(await ClientTokenAsync(http)).ShouldBe(newEs256);
        (await KeyIdsAsync(http)).Select(k => k.Kid).ShouldContain(oldEs256, "tokens the old key signed are still alive");

        _factory.Clock.Advance(TimeSpan.FromMinutes(12));
        (await KeyIdsAsync(http)).Select(k => k.Kid).ShouldNotContain(oldEs256);
    }

    private static string SignerOf(string token) => new JsonWebToken(token).Kid;

    private static async Task<string> ClientTokenAsync(HttpClient http)
    {
        var response = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, "demo-business", Oidc.BusinessSecret));
        return (await Oidc.Json(response)).GetProperty("access_token").GetString()!;
    }

    private static async Task<List<(string Kid, string Alg)>> KeyIdsAsync(HttpClient http)
    {
        var set = await Oidc.Json(await http.GetAsync("/.well-known/jwks.json"));
        return [.. set.GetProperty("keys").EnumerateArray().Select(k => (k.GetProperty("kid").GetString()!, k.GetProperty("alg").GetString()!))];
    }

    private static string[] Strings(JsonElement element, string name) =>
        [.. element.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];
}
