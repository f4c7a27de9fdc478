using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Tests.Identity;

/// <summary>A clock the test moves by hand; replaces the service's <see cref="TimeProvider"/>.</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>The service on a fresh database with a hand-moved clock.</summary>
public class OidcFactory(StorageProvider provider, IReadOnlyDictionary<string, string?>? settings = null) : DataTrustFactory(provider, settings)
{
    public ManualClock Clock { get; } = new();

    /// <summary>Runs <paramref name="action"/> with the services of a new request scope.</summary>
    public async Task<T> InScopeAsync<T>(Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

/// <summary>Drives the protocol as a relying party and a resident would, through real HTTP.</summary>
public static class Oidc
{
    public const string RedirectUri = "http://127.0.0.1:8400/callback";
    public const string Issuer = "http://localhost";
    public const string BusinessSecret = "demo-business-secret";

    public static (string Verifier, string Challenge) NewPkce()
    {
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static Dictionary<string, string> AuthorizeQuery(string clientId, string challenge, string scope = "openid profile email offline_access", string? state = "st-1", string? nonce = "n-1")
    {
        var query = new Dictionary<string, string>
        {
            ["response_type"] = "code",
            ["client_id"] = clientId,
            ["redirect_uri"] = RedirectUri,
            ["scope"] = scope,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        };
        if (state is not null)
        {
            query["state"] = state;
        }

        if (nonce is not null)
        {
            query["nonce"] = nonce;
        }

        return query;
    }

    public static string Query(IEnumerable<KeyValuePair<string, string>> values) =>
        string.Join('&', values.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));

    /// <summary>
    /// GETs the authorization endpoint and follows redirects inside the service (allowing consent when
    /// asked, if <paramref name="allowConsent"/>) until the service answers with something else: a redirect
    /// out to the client, or a page.
    /// </summary>
    public static async Task<HttpResponseMessage> AuthorizeAsync(HttpClient browser, IEnumerable<KeyValuePair<string, string>> query, bool allowConsent = true)
    {
        var response = await browser.GetAsync("/connect/authorize?" + Query(query));
        return await FollowAsync(browser, response, allowConsent);
    }

    public static async Task<HttpResponseMessage> FollowAsync(HttpClient browser, HttpResponseMessage response, bool allowConsent = true)
    {
        for (var hops = 0; hops < 10; hops++)
        {
            if (response.StatusCode is not (HttpStatusCode.Redirect or HttpStatusCode.SeeOther or HttpStatusCode.Found))
            {
                return response;
            }

            var location = response.Headers.Location!;
            if (location.IsAbsoluteUri && !location.ToString().StartsWith(Issuer + "/", StringComparison.Ordinal))
            {
                return response; // out to the client
            }

            var path = location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
            if (path.StartsWith("/connect/consent", StringComparison.Ordinal))
            {
                if (!allowConsent)
                {
                    return response;
                }

                response = await DecideConsentAsync(browser, path, "allow");
                continue;
            }

            response = await browser.GetAsync(path);
        }

        throw new InvalidOperationException("too many redirects");
    }

    public static async Task<HttpResponseMessage> DecideConsentAsync(HttpClient browser, string consentPath, string decision)
    {
        var html = await browser.GetStringAsync(consentPath);
        var document = new HtmlParser().ParseDocument(html);
        var token = document.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var id = document.QuerySelector("input[name=Id]")!.GetAttribute("value")!;
        return await browser.PostAsync(consentPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Id"] = id,
            ["decision"] = decision,
            ["__RequestVerificationToken"] = token,
        }));
    }

    public static Dictionary<string, string> Parameters(Uri location) =>
        (location.Query.Length > 1 ? location.Query[1..] : "").Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""));

    /// <summary>The code from a successful authorization response (asserting state and iss).</summary>
    public static string Code(HttpResponseMessage response, string? state = "st-1")
    {
        response.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        var location = response.Headers.Location!;
        location.ToString().ShouldStartWith(RedirectUri + "?");
        var parameters = Parameters(location);
        parameters.ShouldContainKey("code", $"no code in {location}");
        parameters["iss"].ShouldBe(Issuer);
        if (state is not null)
        {
            parameters["state"].ShouldBe(state);
        }

        return parameters["code"];
    }

    public static HttpRequestMessage TokenRequest(Dictionary<string, string> form, string? basicClient = null, string? basicSecret = null, string path = "/connect/token")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        if (basicClient is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(basicClient) + ":" + Uri.EscapeDataString(basicSecret!))));
        }

        return request;
    }

    public static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    public static async Task ShouldBeOAuthError(HttpResponseMessage response, string error, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        JsonDocument.Parse(body).RootElement.GetProperty("error").GetString().ShouldBe(error, body);
        response.Headers.CacheControl?.NoStore.ShouldBeTrue();
    }

    public static async Task<int> AccessTokenCount(DataTrustFactory factory)
    {
        await using var db = factory.NewDbContext();
        return await db.Set<IssuedAccessToken>().CountAsync();
    }

    /// <summary>The audit entries of the token endpoint (<c>token.*</c>), oldest first.</summary>
    internal static async Task<List<DataTrust.Audit.Storage.AuditEntry>> TokenAuditAsync(DataTrustFactory factory)
    {
        await using var db = factory.NewDbContext();
        return await db.Set<DataTrust.Audit.Storage.AuditEntry>().AsNoTracking()
            .Where(e => e.Action.StartsWith("token.")).OrderBy(e => e.Seq).ToListAsync();
    }

    public static async Task<int> RefreshTokenCount(DataTrustFactory factory)
    {
        await using var db = factory.NewDbContext();
        return await db.Set<RefreshToken>().CountAsync();
    }

    /// <summary>Registers a client directly in the database (arrange step).</summary>
    public static async Task AddClientAsync(DataTrustFactory factory, Client client)
    {
        await using var db = factory.NewDbContext();
        client.Id = Guid.CreateVersion7();
        client.CreatedAt = DateTimeOffset.UtcNow;
        db.Add(client);
        await db.SaveChangesAsync();
    }

    public static string PublicJwks(ECDsa key)
    {
        var p = key.ExportParameters(false);
        return JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = "EC", crv = "P-256", x = Base64UrlEncoder.Encode(p.Q.X), y = Base64UrlEncoder.Encode(p.Q.Y), use = "sig", kid = "k1" } },
        });
    }

    public static string ClientAssertion(ECDsa key, string clientId, string audience, string? jti = null, DateTimeOffset? now = null)
    {
        var issuedAt = now ?? DateTimeOffset.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["iss"] = clientId,
                ["sub"] = clientId,
                ["aud"] = audience,
                ["jti"] = jti ?? Guid.NewGuid().ToString(),
                ["iat"] = issuedAt.ToUnixTimeSeconds(),
                ["exp"] = issuedAt.AddMinutes(2).ToUnixTimeSeconds(),
            },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = "k1" }, SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary>A DPoP proof (RFC 9449 §4.2) for a request, optionally bound to an access token.</summary>
    public static string DPoPProof(ECDsa key, string method, string url, string? accessToken = null, string? jti = null, DateTimeOffset? now = null)
    {
        var p = key.ExportParameters(false);
        var claims = new Dictionary<string, object>
        {
            ["jti"] = jti ?? Guid.NewGuid().ToString(),
            ["htm"] = method,
            ["htu"] = url,
            ["iat"] = (now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
        };
        if (accessToken is not null)
        {
            claims["ath"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            TokenType = "dpop+jwt",
            AdditionalHeaderClaims = new Dictionary<string, object>
            {
                ["jwk"] = new Dictionary<string, object> { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) },
            },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key), SecurityAlgorithms.EcdsaSha256),
        });
    }

    public static string Thumbprint(ECDsa key)
    {
        var p = key.ExportParameters(false);
        var jwk = new JsonWebKey { Kty = "EC", Crv = "P-256", X = Base64UrlEncoder.Encode(p.Q.X), Y = Base64UrlEncoder.Encode(p.Q.Y) };
        return Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
    }

    public static async Task<int> Count<T>(DataTrustDbContext db)
        where T : class => await db.Set<T>().CountAsync();
}
