using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DataTrust.Identity.Protocol;

/// <summary>An OAuth error response (RFC 6749 §5.2) from the token, PAR, introspection or revocation endpoint.</summary>
internal sealed record OAuthError(string Error, string Description, int Status = StatusCodes.Status400BadRequest)
{
    public static OAuthError InvalidRequest(string description) => new("invalid_request", description);

    public static OAuthError InvalidClient(string description) => new("invalid_client", description, StatusCodes.Status401Unauthorized);

    public static OAuthError InvalidGrant(string description) => new("invalid_grant", description);

    public static OAuthError UnauthorizedClient(string description) => new("unauthorized_client", description);

    public static OAuthError UnsupportedGrantType(string description) => new("unsupported_grant_type", description);

    public static OAuthError InvalidScope(string description) => new("invalid_scope", description);

    public static OAuthError InvalidTarget(string description) => new("invalid_target", description);

    public static OAuthError InvalidDpopProof(string description) => new("invalid_dpop_proof", description);

    public IResult ToResult() => new ErrorResult(this);

    private sealed class ErrorResult(OAuthError error) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            response.StatusCode = error.Status;
            NoStore(response);
            if (error.Status == StatusCodes.Status401Unauthorized)
            {
                // RFC 6749 §5.2 and RFC 9110 §15.5.2: a 401 names the scheme the client can authenticate with.
                response.Headers.WWWAuthenticate = "Basic realm=\"DataTrust\", charset=\"UTF-8\"";
            }

            var body = new JsonObject { ["error"] = error.Error, ["error_description"] = error.Description };
            response.ContentType = "application/json; charset=utf-8";
            return response.WriteAsync(body.ToJsonString());
        }
    }

    /// <summary>RFC 6749 §5.1: responses carrying tokens or credentials are not cached.</summary>
    public static void NoStore(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
    }
}

/// <summary>A JSON success body from an OAuth endpoint, never cached.</summary>
internal sealed class NoStoreJsonResult(JsonObject body, int status = StatusCodes.Status200OK) : IResult
{
    public Task ExecuteAsync(HttpContext context)
    {
        context.Response.StatusCode = status;
        OAuthError.NoStore(context.Response);
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(body.ToJsonString());
    }
}
