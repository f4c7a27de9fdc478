using System.Net;
using DataTrust.Audit.Events;
using DataTrust.Audit.Storage;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Storage;
using DataTrust.Identity.Token;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Tests.Identity;

/// <summary>
/// Two service instances on one PostgreSQL database, as deployed: what one instance changes (revocation,
/// secret rotation, disabling a client) holds on the other at once, even for a token the other has already
/// verified (its signature cache never answers for liveness or for client credentials).
/// </summary>
public sealed class TwoInstanceTests : IDisposable
{
    private readonly OidcFactory _a = new(StorageProvider.Postgres);
    private readonly OidcFactory _b;

    public TwoInstanceTests()
    {
        _ = _a.Services; // starts A, which migrates and seeds the shared database
        _b = new OidcFactory(StorageProvider.Postgres, new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ConnectionStrings:DataTrust"] = _a.Database.ConnectionString,
            ["DataTrust:DataDirectory"] = _a.Database.DataDirectory,
            ["Audit:PseudonymKey"] = _a.Services.GetRequiredService<IConfiguration>()["Audit:PseudonymKey"],
        });
    }

    public void Dispose()
    {
        _b.Dispose();
        _a.Dispose();
    }

    [Fact]
    public async Task A_token_verified_on_one_instance_is_inactive_there_once_another_revoked_it()
    {
        using var a = _a.CreateClient();
        using var b = _b.CreateClient();
        var token = await TokenAsync(a, Oidc.BusinessSecret);
        (await IntrospectAsync(a, token, Oidc.BusinessSecret)).ShouldBe((HttpStatusCode.OK, "active"));
        (await IntrospectAsync(a, token, Oidc.BusinessSecret)).ShouldBe((HttpStatusCode.OK, "active"));

        (await b.SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, "demo-business", Oidc.BusinessSecret, "/connect/revoke"))).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await IntrospectAsync(a, token, Oidc.BusinessSecret)).ShouldBe((HttpStatusCode.OK, "inactive"));
        (await IntrospectAsync(b, token, Oidc.BusinessSecret)).ShouldBe((HttpStatusCode.OK, "inactive"));
    }

    [Fact]
    public async Task A_secret_rotated_through_one_instance_is_refused_by_another_at_once()
    {
        using var a = _a.CreateClient();
        var token = await TokenAsync(a, Oidc.BusinessSecret);
        (await IntrospectAsync(a, token, Oidc.BusinessSecret)).ShouldBe((HttpStatusCode.OK, "active"));

        string newSecret;
        using (var scope = _b.Services.CreateScope())
        {
            newSecret = (await scope.ServiceProvider.GetRequiredService<ClientRegistry>().RotateSecretAsync("demo-business", AuditActor.System("test"), CancellationToken.None))!;
        }

        // A has just issued a token on the old secret: its token request with that secret is refused first, before
        // anything else on A has read the rotated row.
        await Oidc.ShouldBeOAuthError(
            await a.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, "demo-business", Oidc.BusinessSecret)),
            "invalid_client", HttpStatusCode.Unauthorized);
        (await IntrospectAsync(a, token, Oidc.BusinessSecret)).ShouldBe((HttpStatusCode.Unauthorized, "invalid_client"));
        (await IntrospectAsync(a, token, newSecret)).ShouldBe((HttpStatusCode.OK, "active"));
        await TokenAsync(a, newSecret);
        (await TokenRowsAsync()).ShouldBe(2, "the first token and the one for the new secret");
    }

    [Fact]
    public async Task A_recipient_suspended_through_one_instance_gets_no_token_from_another_that_has_just_issued_it_one()
    {
        using var a = _a.CreateClient();
        await TokenAsync(a, Oidc.BusinessSecret);
        var issued = await IssuedEntriesAsync();

        await _b.InScopeAsync(services => services.GetRequiredService<RecipientAdministration>()
            .SuspendAsync("demo-business", new RecipientStatusInput(["Audit finding"]), AuditActor.System("test"), CancellationToken.None));

        await Oidc.ShouldBeOAuthError(
            await a.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, "demo-business", Oidc.BusinessSecret)),
            "unauthorized_client");
        (await TokenRowsAsync()).ShouldBe(1);
        (await IssuedEntriesAsync()).ShouldBe(issued, "a refused token is not audited as issued");
    }

    [Fact]
    public async Task A_token_decided_on_a_client_row_that_changed_since_is_neither_stored_nor_audited()
    {
        using var a = _a.CreateClient();
        await TokenAsync(a, Oidc.BusinessSecret);
        var version = await ClientVersionAsync();
        var commit = _a.Services.GetRequiredService<IssuanceGroupCommit>();
        var issued = await IssuedEntriesAsync();

        (await commit.CommitAsync(Row("stale"), Entry(), version - 1, CancellationToken.None)).ShouldBeFalse();
        (await commit.CommitAsync(Row("unversioned"), Entry(), null, CancellationToken.None)).ShouldBeFalse();
        (await TokenRowsAsync()).ShouldBe(1);
        (await IssuedEntriesAsync()).ShouldBe(issued);

        (await commit.CommitAsync(Row("current"), Entry(), version, CancellationToken.None)).ShouldBeTrue();
        (await TokenRowsAsync()).ShouldBe(2);
        (await IssuedEntriesAsync()).ShouldBe(issued + 1);

        static IssuedAccessToken Row(string jti) => new()
        {
            Jti = jti, ClientId = "demo-business", Subject = "demo-business", Audience = "api", CreatedAt = DateTimeOffset.UtcNow, ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(5),
        };

        static TokenIssued Entry() => new("demo-business", TokenEndpoint.ClientCredentials, GrantId: null, Resident: null);
    }

    [Fact]
    public async Task A_client_disabled_through_one_instance_gets_nothing_from_another_at_once()
    {
        using var a = _a.CreateClient();
        var token = await TokenAsync(a, Oidc.BusinessSecret);
        await using (var db = _a.NewDbContext())
        {
            (await db.Set<DataTrust.Identity.Storage.IssuedAccessToken>().CountAsync()).ShouldBe(1);
        }

        using (var scope = _b.Services.CreateScope())
        {
            (await scope.ServiceProvider.GetRequiredService<ClientRegistry>().DisableAsync("demo-business", AuditActor.System("test"), CancellationToken.None)).ShouldBeTrue();
        }

        var refused = await a.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, "demo-business", Oidc.BusinessSecret));
        await Oidc.ShouldBeOAuthError(refused, "invalid_client", HttpStatusCode.Unauthorized);
        (await IntrospectAsync(a, token, Oidc.BusinessSecret)).ShouldBe((HttpStatusCode.Unauthorized, "invalid_client"));
        await using (var db = _a.NewDbContext())
        {
            (await db.Set<DataTrust.Identity.Storage.IssuedAccessToken>().CountAsync()).ShouldBe(1, "nothing was issued after the client was disabled");
        }
    }

    private async Task<int> TokenRowsAsync()
    {
        await using var db = _a.NewDbContext();
        return await db.Set<IssuedAccessToken>().CountAsync();
    }

    private async Task<int> IssuedEntriesAsync()
    {
        await using var db = _a.NewDbContext();
        return await db.Set<AuditEntry>().CountAsync(e => e.Action == AuditAction.TokenIssued);
    }

    private async Task<long> ClientVersionAsync()
    {
        await using var db = _a.NewDbContext();
        return await db.Database.SqlQueryRaw<long>("SELECT xmin::text::bigint AS \"Value\" FROM clients WHERE client_id = 'demo-business'").SingleAsync();
    }

    private static async Task<string> TokenAsync(HttpClient http, string secret)
    {
        var response = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, "demo-business", secret));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await Oidc.Json(response)).GetProperty("access_token").GetString()!;
    }

    /// <summary>The status and what it says: <c>active</c>, <c>inactive</c> or the OAuth error code.</summary>
    private static async Task<(HttpStatusCode, string)> IntrospectAsync(HttpClient http, string token, string secret)
    {
        var response = await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, "demo-business", secret, "/connect/introspect"));
        var body = await Oidc.Json(response);
        return (response.StatusCode, body.TryGetProperty("error", out var error) ? error.GetString()!
            : body.GetProperty("active").GetBoolean() ? "active" : "inactive");
    }
}

/// <summary>The signature cache answers only for the exact token string, issuer and type it verified, and only while the key is published.</summary>
public sealed class VerifiedTokenCacheTests
{
    private static readonly JsonWebKey Published = new() { Kid = "key-1" };

    [Fact]
    public void A_remembered_token_is_found_only_for_its_issuer_and_type_and_while_its_key_is_published()
    {
        var cache = new VerifiedTokenCache();
        var (token, jwt) = Token("key-1");
        cache.Remember(token, "https://issuer", "at+jwt", jwt);

        cache.Find(token, "https://issuer", "at+jwt", [Published]).ShouldBeSameAs(jwt);
        cache.Find(token, "https://other", "at+jwt", [Published]).ShouldBeNull();
        cache.Find(token, "https://issuer", "JWT", [Published]).ShouldBeNull();
        cache.Find(token, "https://issuer", "at+jwt", [new JsonWebKey { Kid = "key-2" }]).ShouldBeNull("its key is no longer published");
        cache.Find(token[..^4] + "AAAA", "https://issuer", "at+jwt", [Published]).ShouldBeNull("another signature is another token");
    }

    [Fact]
    public void The_cache_stays_bounded()
    {
        var cache = new VerifiedTokenCache();
        var (first, firstJwt) = Token("key-1");
        cache.Remember(first, "https://issuer", "at+jwt", firstJwt);
        for (var i = 0; i < VerifiedTokenCache.Capacity; i++)
        {
            var (token, jwt) = Token("key-1");
            cache.Remember(token, "https://issuer", "at+jwt", jwt);
        }

        cache.Count.ShouldBeLessThanOrEqualTo(VerifiedTokenCache.Capacity);
        cache.Find(first, "https://issuer", "at+jwt", [Published]).ShouldBeNull();
    }

    private static (string, JsonWebToken) Token(string kid)
    {
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>(StringComparer.Ordinal) { ["jti"] = Guid.NewGuid().ToString("N") },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(new byte[32]) { KeyId = kid }, SecurityAlgorithms.HmacSha256),
        });
        return (token, new JsonWebToken(token));
    }
}

/// <summary>A row found live is reused only briefly, never past its token's expiry, and the cache stays bounded.</summary>
public sealed class RecentlyLiveTokensTests
{
    private static readonly DateTimeOffset ReadAt = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_remembered_row_is_found_only_while_fresh_and_unexpired()
    {
        var cache = new RecentlyLiveTokens();
        var row = Row("a", expiresAt: ReadAt.AddSeconds(60));
        cache.Remember(row, ReadAt);

        cache.Find("a", ReadAt).ShouldBeSameAs(row);
        cache.Find("a", ReadAt + RecentlyLiveTokens.Freshness - TimeSpan.FromMilliseconds(1)).ShouldBeSameAs(row);
        cache.Find("a", ReadAt + RecentlyLiveTokens.Freshness).ShouldBeNull("read too long ago");
        cache.Find("a", ReadAt.AddSeconds(-1)).ShouldBeNull("a clock that went back cannot vouch for it");
        cache.Find("b", ReadAt).ShouldBeNull();

        var expiring = Row("c", expiresAt: ReadAt.AddSeconds(1));
        cache.Remember(expiring, ReadAt);
        cache.Find("c", ReadAt.AddSeconds(1)).ShouldBeNull("expired, though fresh");
    }

    [Fact]
    public void The_cache_stays_bounded()
    {
        var cache = new RecentlyLiveTokens();
        cache.Remember(Row("first", ReadAt.AddHours(1)), ReadAt);
        for (var i = 0; i < RecentlyLiveTokens.Capacity; i++)
        {
            cache.Remember(Row($"t{i}", ReadAt.AddHours(1)), ReadAt);
        }

        cache.Find("first", ReadAt).ShouldBeNull();
        cache.Find($"t{RecentlyLiveTokens.Capacity - 1}", ReadAt).ShouldNotBeNull();
    }

    private static LiveRow Row(string jti, DateTimeOffset expiresAt) =>
        new(new IssuedAccessToken { Jti = jti, ClientId = "c", Subject = "c", Audience = "x", CreatedAt = ReadAt, ExpiresAt = expiresAt }, new Client { ClientId = "c" });
}
