using System.Text.Json.Nodes;
using DataTrust.Accounts;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.ResourceServer;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Identity.UserInfo;

/// <summary>
/// <c>GET|POST /connect/userinfo</c> (OIDC Core §5.3): claims about the resident, by the scopes granted.
/// Accepts <c>Authorization: Bearer</c> (RFC 6750) or, for DPoP-bound tokens, <c>Authorization: DPoP</c>
/// with a proof carrying <c>ath</c> (RFC 9449 §7). Errors carry WWW-Authenticate for both schemes.
/// </summary>
internal static class UserInfoEndpoint
{
    public static async Task<IResult> Handle(HttpContext context, ProtectedResourceAuthenticator authenticator, DataTrustDbContext db, CancellationToken cancellationToken)
    {
        var access = await authenticator.AuthenticateAsync(context, cancellationToken);
        if (access.Token is not { Row: var token } || token.UserId is null)
        {
            return access.IsAnonymous || access.Error is not null
                ? Challenge(access.Error, access.Description, access.IsDpopError)
                : Challenge("invalid_token", "The access token does not act for a resident.");
        }

        var scopes = token.Scopes;
        if (!scopes.Contains(Scopes.OpenId, StringComparer.Ordinal))
        {
            return Challenge("insufficient_scope", "The access token was not issued for OpenID Connect (scope openid).", status: StatusCodes.Status403Forbidden);
        }

        var user = await db.Set<UserAccount>().AsNoTracking().SingleOrDefaultAsync(u => u.Id == token.UserId, cancellationToken);
        if (user is null)
        {
            return Challenge("invalid_token", "The resident no longer exists.");
        }

        var claims = new JsonObject { ["sub"] = token.Subject };
        if (scopes.Contains(Scopes.Profile, StringComparer.Ordinal))
        {
            claims["name"] = user.DisplayName;
            claims["locale"] = user.PreferredLocale;
        }

        if (scopes.Contains(Scopes.Email, StringComparer.Ordinal))
        {
            claims["email"] = user.Email;
            claims["email_verified"] = user.EmailConfirmed;
        }

        return new NoStoreJsonResult(claims);
    }

    private static ChallengeResult Challenge(string? error, string? description, bool dpopError = false, int status = StatusCodes.Status401Unauthorized) =>
        new(error, description, dpopError, status);

    private sealed class ChallengeResult(string? error, string? description, bool dpopError, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = status;
            OAuthError.NoStore(context.Response);
            context.Response.Headers.WWWAuthenticate = ProtectedResourceAuthenticator.Challenges(error, description, dpopError);
            return Task.CompletedTask;
        }
    }
}
