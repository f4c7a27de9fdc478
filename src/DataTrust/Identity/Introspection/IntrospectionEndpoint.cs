using System.Text.Json.Nodes;
using DataTrust.Identity.ClientAuthentication;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Storage;
using DataTrust.Identity.Token;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataTrust.Identity.Introspection;

/// <summary>
/// <c>POST /connect/introspect</c> (RFC 7662). Only authenticated confidential clients may ask. Anything
/// unknown, expired, revoked, under a revoked grant, or not meant for the caller answers
/// <c>{"active": false}</c> and nothing more (§2.2). A caller sees its own tokens, and tokens for a
/// separately deployed resource server (<c>DataTrust:Identity:Resources</c>), which introspects them.
/// </summary>
internal static class IntrospectionEndpoint
{
    public static async Task<IResult> Handle(
        HttpContext context,
        ClientAuthenticator authenticator,
        AccessTokenValidator accessTokens,
        DataTrustDbContext db,
        Issuer issuer,
        IOptions<OidcOptions> options,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var (parameters, formError) = await RequestParameters.ReadFormAsync(context.Request, cancellationToken);
        if (parameters is null)
        {
            return formError!.ToResult();
        }

        // A JWT access token's row is read with its client's, fresh: when the caller is that client (the usual case), that
        // row authenticates it, and one query answers the request. Nothing about the token is answered before the caller
        // has authenticated.
        var token = parameters["token"];
        var live = token?.Contains('.', StringComparison.Ordinal) == true ? await accessTokens.ValidateAsync(context, token, cancellationToken) : null;
        var (client, authError) = await authenticator.AuthenticateAsync(context, parameters, ClientLookup.ReadWith(live?.Client), cancellationToken);
        if (client is null)
        {
            return authError!.ToResult();
        }

        if (client.TokenEndpointAuthMethod == ClientAuthenticator.None)
        {
            return OAuthError.InvalidClient("Public clients may not introspect tokens.").ToResult();
        }

        if (token is null)
        {
            return OAuthError.InvalidRequest("token is missing.").ToResult();
        }

        var inactive = new NoStoreJsonResult(new JsonObject { ["active"] = false });
        if (token.Contains('.', StringComparison.Ordinal))
        {
            if (live is null || !(live.Row.ClientId == client.ClientId || options.Value.Resources.Contains(live.Row.Audience, StringComparer.Ordinal)))
            {
                return inactive;
            }

            var row = live.Row;
            var body = new JsonObject
            {
                ["active"] = true,
                ["iss"] = issuer.For(context),
                ["client_id"] = row.ClientId,
                ["sub"] = row.Subject,
                ["aud"] = row.Audience,
                ["iat"] = row.CreatedAt.ToUnixTimeSeconds(),
                ["exp"] = row.ExpiresAt.ToUnixTimeSeconds(),
                ["jti"] = row.Jti,
                ["token_type"] = row.DpopJkt is null ? "Bearer" : "DPoP",
            };
            if (row.Scopes.Count > 0)
            {
                body["scope"] = string.Join(' ', row.Scopes);
            }

            if (row.DpopJkt is not null)
            {
                body["cnf"] = new JsonObject { ["jkt"] = row.DpopJkt };
            }

            if (row.GrantId is { } grantId)
            {
                TokenFactory.AddGrantDetails(body, await db.Set<Grant>().AsNoTracking().SingleOrDefaultAsync(g => g.Id == grantId, cancellationToken));
            }

            return new NoStoreJsonResult(body);
        }

        var now = clock.GetUtcNow();
        var hash = TokenHash.Of(token);
        var refresh = await db.Set<RefreshToken>().AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (refresh is null || refresh.ClientId != client.ClientId || refresh.RevokedAt is not null || refresh.RotatedAt is not null || refresh.ExpiresAt <= now
            || !await db.Set<Grant>().AnyAsync(g => g.Id == refresh.GrantId && g.Status == GrantStatus.Active && g.ExpiresAt > now, cancellationToken))
        {
            return inactive;
        }

        return new NoStoreJsonResult(new JsonObject
        {
            ["active"] = true,
            ["iss"] = issuer.For(context),
            ["client_id"] = refresh.ClientId,
            ["scope"] = string.Join(' ', refresh.Scopes),
            ["iat"] = refresh.CreatedAt.ToUnixTimeSeconds(),
            ["exp"] = refresh.ExpiresAt.ToUnixTimeSeconds(),
        });
    }
}
