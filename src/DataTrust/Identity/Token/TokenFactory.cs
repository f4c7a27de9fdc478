using System.Text.Json.Nodes;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Keys;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Identity.Token;

/// <summary>
/// Makes the provider's tokens. Access tokens are JWTs per RFC 9068 (ES256, <c>typ: at+jwt</c>) with a
/// row per <c>jti</c>; ID tokens follow OIDC Core §2; refresh tokens are opaque and stored hashed. New
/// rows are added to the caller's context, which saves them with the rest of its change.
/// </summary>
internal sealed class TokenFactory(DataTrustDbContext db, SigningKeyStore keys, Issuer issuer, TimeProvider clock, IOptions<OidcOptions> options)
{
    public const string AccessTokenType = "at+jwt";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async Task<(string Token, IssuedAccessToken Row)> AccessTokenAsync(
        HttpContext context, AccessTokenSubject subject, string audience, IReadOnlyList<string> scopes, string? dpopJkt, CancellationToken cancellationToken)
    {
        var (token, row) = await UnsavedAccessTokenAsync(context, subject, audience, scopes, dpopJkt, cancellationToken);
        db.Add(row);
        return (token, row);
    }

    /// <summary>A signed access token and its row, which the caller must store before handing the token out.</summary>
    public async Task<(string Token, IssuedAccessToken Row)> UnsavedAccessTokenAsync(
        HttpContext context, AccessTokenSubject subject, string audience, IReadOnlyList<string> scopes, string? dpopJkt, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var row = new IssuedAccessToken
        {
            Jti = TokenHash.NewValue(),
            ClientId = subject.Client.ClientId,
            GrantId = subject.GrantId,
            UserId = subject.UserId,
            Subject = subject.Subject,
            Audience = audience,
            Scopes = [.. scopes],
            DpopJkt = dpopJkt,
            CreatedAt = now,
            ExpiresAt = now + options.Value.AccessTokenLifetime,
        };
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["iss"] = issuer.For(context),
            ["sub"] = row.Subject,
            ["aud"] = audience,
            ["client_id"] = row.ClientId,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = row.ExpiresAt.ToUnixTimeSeconds(),
            ["jti"] = row.Jti,
        };
        if (scopes.Count > 0)
        {
            claims["scope"] = string.Join(' ', scopes);
        }

        if (subject.AuthTime is { } authTime)
        {
            claims["auth_time"] = authTime.ToUnixTimeSeconds();
        }

        if (dpopJkt is not null)
        {
            claims["cnf"] = new Dictionary<string, object>(StringComparer.Ordinal) { ["jkt"] = dpopJkt }; // RFC 9449 §6.1
        }

        var token = await SignAsync(SigningKeyStore.ES256, AccessTokenType, claims, cancellationToken);
        return (token, row);
    }

    public Task<string> IdTokenAsync(
        HttpContext context, Client client, string subject, DateTimeOffset authTime, string? nonce, string sessionId, string accessToken, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["iss"] = issuer.For(context),
            ["sub"] = subject,
            ["aud"] = client.ClientId,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + options.Value.IdTokenLifetime).ToUnixTimeSeconds(),
            ["auth_time"] = authTime.ToUnixTimeSeconds(),
            ["at_hash"] = TokenHash.LeftHalf(accessToken),
            ["sid"] = sessionId,
        };
        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        var algorithm = client.IdTokenSignedResponseAlg == SigningKeyStore.RS256 ? SigningKeyStore.RS256 : SigningKeyStore.ES256;
        return SignAsync(algorithm, "JWT", claims, cancellationToken);
    }

    public string RefreshToken(RefreshToken template)
    {
        var value = TokenHash.NewValue();
        var now = clock.GetUtcNow();
        template.Id = Guid.CreateVersion7();
        template.TokenHash = TokenHash.Of(value);
        template.CreatedAt = now;
        template.ExpiresAt = now + options.Value.RefreshTokenLifetime;
        db.Add(template);
        return value;
    }

    private async Task<string> SignAsync(string algorithm, string type, Dictionary<string, object> claims, CancellationToken cancellationToken) =>
        Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            TokenType = type,
            SigningCredentials = await keys.SigningCredentialsAsync(algorithm, cancellationToken),
        });

    /// <summary>The token endpoint's successful response (RFC 6749 §5.1).</summary>
    public static IResult Response(string accessToken, IssuedAccessToken row, TimeSpan lifetime, string? refreshToken, string? idToken, Grant? grant = null)
    {
        var body = new JsonObject
        {
            ["access_token"] = accessToken,
            ["token_type"] = row.DpopJkt is null ? "Bearer" : "DPoP",
            ["expires_in"] = (int)lifetime.TotalSeconds,
        };
        if (row.Scopes.Count > 0)
        {
            body["scope"] = string.Join(' ', row.Scopes);
        }

        if (refreshToken is not null)
        {
            body["refresh_token"] = refreshToken;
        }

        if (idToken is not null)
        {
            body["id_token"] = idToken;
        }

        AddGrantDetails(body, grant);
        return new NoStoreJsonResult(body);
    }

    /// <summary>For a purpose-bound grant: its id (FAPI Grant Management) and the details as granted (RFC 9396 §7).</summary>
    public static void AddGrantDetails(JsonObject body, Grant? grant)
    {
        if (grant?.AuthorizationDetails is { } details)
        {
            body["authorization_details"] = JsonNode.Parse(details);
            body["grant_id"] = grant.Id.ToString("D");
        }
    }
}

/// <summary>Whom an access token is for: a resident through a grant, or the client itself.</summary>
internal sealed record AccessTokenSubject(Client Client, string Subject, Guid? UserId, Guid? GrantId, DateTimeOffset? AuthTime);
