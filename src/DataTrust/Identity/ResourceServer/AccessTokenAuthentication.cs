using System.Security.Claims;
using System.Text.Encodings.Web;
using DataTrust.Identity.Protocol;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Identity.ResourceServer;

/// <summary>
/// The authentication scheme for DataTrust's own APIs called with access tokens (brokering, ingestion):
/// <c>.RequireAuthorization(p => p.AddAuthenticationSchemes(AccessTokenAuthentication.Scheme).RequireScope("…"))</c>.
/// Every request checks the token's record and grant in the database, so revocation takes effect at once.
/// </summary>
public static class AccessTokenAuthentication
{
    public const string Scheme = "DataTrust.AccessToken";

    /// <summary>Claim types of the principal: <c>sub</c>, <c>client_id</c>, one <c>scope</c> per scope, <c>grant_id</c> and <c>user_id</c> for residents' tokens.</summary>
    public const string SubjectClaim = "sub";
    public const string ClientIdClaim = "client_id";
    public const string ScopeClaim = "scope";
    public const string GrantIdClaim = "grant_id";
    public const string UserIdClaim = "user_id";

    public static AuthorizationPolicyBuilder RequireScope(this AuthorizationPolicyBuilder policy, string scope) =>
        policy.RequireClaim(ScopeClaim, scope);
}

internal sealed class AccessTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ProtectedResourceAuthenticator authenticator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private ResourceAccess? _access;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        _access = await authenticator.AuthenticateAsync(Context, Context.RequestAborted);
        if (_access.Token is not { Row: var token } live)
        {
            return _access.IsAnonymous ? AuthenticateResult.NoResult() : AuthenticateResult.Fail(_access.Description!);
        }

        // The endpoint finds the token's client here instead of reading it again.
        Context.Features.Set(live);

        var identity = new ClaimsIdentity(AccessTokenAuthentication.Scheme, AccessTokenAuthentication.SubjectClaim, null);
        identity.AddClaim(new Claim(AccessTokenAuthentication.SubjectClaim, token.Subject));
        identity.AddClaim(new Claim(AccessTokenAuthentication.ClientIdClaim, token.ClientId));
        identity.AddClaims(token.Scopes.Select(s => new Claim(AccessTokenAuthentication.ScopeClaim, s)));
        if (token.GrantId is { } grantId)
        {
            identity.AddClaim(new Claim(AccessTokenAuthentication.GrantIdClaim, grantId.ToString()));
        }

        if (token.UserId is { } userId)
        {
            identity.AddClaim(new Claim(AccessTokenAuthentication.UserIdClaim, userId.ToString()));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), AccessTokenAuthentication.Scheme));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        OAuthError.NoStore(Response);
        Response.Headers.WWWAuthenticate = ProtectedResourceAuthenticator.Challenges(_access?.Error, _access?.Description, _access?.IsDpopError ?? false);
        return Task.CompletedTask;
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        Response.Headers.WWWAuthenticate = ProtectedResourceAuthenticator.Challenges("insufficient_scope", "The access token lacks a scope this API requires.", isDpopError: false);
        return Task.CompletedTask;
    }
}
