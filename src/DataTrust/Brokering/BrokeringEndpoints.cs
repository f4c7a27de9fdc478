using DataTrust.Identity.Clients;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.ResourceServer;
using DataTrust.Identity.Token;
using DataTrust.Persistence;
using DataTrust.Vault.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataTrust.Brokering;

/// <summary>
/// The brokering API, the only door through which personal data leaves DataTrust for a third party:
/// <list type="bullet">
/// <item><c>POST /api/broker/releases</c> (scope <c>datatrust.broker</c>): one resident's data under one live
/// consent. <c>Accept: application/json</c> (default), <c>application/ld+json</c> (NGSI-LD entities) or
/// <c>application/jose</c> (the JSON body as a JWE to the client's registered encryption key).</item>
/// <item><c>POST /api/broker/statistics</c> (scope <c>datatrust.statistics</c>, City OS services): aggregates.</item>
/// </list>
/// </summary>
internal static class BrokeringEndpoints
{
    public const string ReleaseScope = Identity.Protocol.Scopes.Broker;
    public const string StatisticsScope = Identity.Protocol.Scopes.Statistics;

    public static IEndpointRouteBuilder MapBrokering(this IEndpointRouteBuilder endpoints)
    {
        var broker = endpoints.MapGroup("/api/broker")
            .RequireAuthorization(p => p.AddAuthenticationSchemes(AccessTokenAuthentication.Scheme).RequireAuthenticatedUser())
            .WithTags("Brokering")
            .DisableAntiforgery();
        broker.MapPost("/releases", Release)
            .RequireAuthorization(p => p.AddAuthenticationSchemes(AccessTokenAuthentication.Scheme).RequireScope(ReleaseScope))
            .WithMetadata(TokenLivenessRecheckedInTransaction.Instance) // the release batch reads the token's liveness again
            .WithName("ReleaseData").WithSummary("Release one resident's data under a live consent, minimised to the purpose");
        broker.MapPost("/statistics", StatisticsRelease.Handle)
            .RequireAuthorization(p => p.AddAuthenticationSchemes(AccessTokenAuthentication.Scheme).RequireScope(StatisticsScope))
            .WithName("ReleaseStatistics").WithSummary("Aggregate statistics over residents with a live statistics consent; small cells suppressed");
        return endpoints;
    }

    internal static async Task Release(HttpContext context, ReleaseBroker broker, ILogger<ReleaseBroker> logger, CancellationToken cancellationToken)
    {
        var result = await ReleaseResultAsync(context, broker, logger, cancellationToken);
        if (result is IResult answer)
        {
            await answer.ExecuteAsync(context);
        }
    }

    private static async Task<IResult?> ReleaseResultAsync(HttpContext context, ReleaseBroker broker, ILogger logger, CancellationToken cancellationToken)
    {
        var clientId = IngestionEndpoints.ClientId(context);
        var token = context.Features.GetRequiredFeature<LiveAccessToken>();
        var client = token.Client;
        if (client.HighAssurance && !context.Request.Headers.Authorization.ToString().StartsWith("DPoP ", StringComparison.OrdinalIgnoreCase))
        {
            // FAPI 2.0: a high-assurance client's tokens are sender-constrained; a bearer token is not enough here.
            context.Response.Headers.WWWAuthenticate = "DPoP realm=\"DataTrust\", error=\"invalid_token\", error_description=\"This client must present a DPoP-bound token.\"";
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "DPoP required",
                detail: "This client is registered as high-assurance: call with a DPoP-bound access token and a DPoP proof.", type: BrokerProblems.TypeBase + "dpop_required");
        }

        if (Negotiate(context.Request.Headers.Accept.ToString()) is not { } format)
        {
            return BrokerProblems.Invalid("not_acceptable", "Accept application/json, application/ld+json (NGSI-LD) or application/jose (JWE).", StatusCodes.Status406NotAcceptable);
        }

        using var body = await IngestionEndpoints.ReadJsonAsync(context, cancellationToken);
        if (body is null)
        {
            return BrokerProblems.Invalid("invalid_body", "The body must be one JSON object (Content-Type: application/json).");
        }

        var (request, problem) = ReleaseRequest.Parse(body.RootElement);
        if (request is null)
        {
            return BrokerProblems.Invalid("invalid_body", problem!);
        }

        Guid? grantId = Guid.TryParse(context.User.FindFirst(AccessTokenAuthentication.GrantIdClaim)?.Value, out var g)
            && context.User.FindFirst(AccessTokenAuthentication.UserIdClaim) is not null ? g : null;
        ReleaseOutcome outcome;
        try
        {
            outcome = await broker.ReleaseAsync(client, token.Row.Jti, grantId, request, format, cancellationToken);
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
        {
            // The decision, the counted use or the audit entry did not commit: nothing is released (promise 3).
            logger.LogError("A release for client {ClientId} was not committed ({Error}); nothing was sent", clientId, e.GetType().Name);
            return BrokerProblems.NotCommitted();
        }

        if (outcome.TokenNotLive)
        {
            // Revoked (or its grant ended, or its client was disabled) since this request was authenticated.
            OAuthError.NoStore(context.Response);
            context.Response.Headers.WWWAuthenticate = ProtectedResourceAuthenticator.Challenges("invalid_token", ProtectedResourceAuthenticator.InvalidToken, isDpopError: false);
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid token", detail: ProtectedResourceAuthenticator.InvalidToken, type: BrokerProblems.TypeBase + "invalid_token");
        }

        if (outcome.ProblemCode is { } code)
        {
            return BrokerProblems.Invalid(code, outcome.Problem!);
        }

        if (outcome.Refusal is { } refusal)
        {
            return BrokerProblems.Refused(refusal);
        }

        // Committed: only now does a byte of the data leave.
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["DataTrust-Release-Id"] = outcome.ReleaseId.ToString("D");
        context.Response.ContentType = format switch
        {
            ReleaseFormat.NgsiLd => "application/ld+json",
            ReleaseFormat.Jwe => RecipientEncryption.ContentType,
            _ => "application/json; charset=utf-8",
        };
        context.Response.ContentLength = outcome.Body!.Length;
        await context.Response.Body.WriteAsync(outcome.Body, cancellationToken);
        return null;
    }

    internal static ReleaseFormat? Negotiate(string accept)
    {
        if (string.IsNullOrWhiteSpace(accept))
        {
            return ReleaseFormat.Json;
        }

        foreach (var range in accept.Split(',').Select(r => r.Split(';')[0].Trim().ToLowerInvariant()))
        {
            switch (range)
            {
                case "application/json" or "*/*" or "application/*":
                    return ReleaseFormat.Json;
                case "application/ld+json":
                    return ReleaseFormat.NgsiLd;
                case "application/jose":
                    return ReleaseFormat.Jwe;
            }
        }

        return null;
    }
}

internal static class BrokeringServiceCollectionExtensions
{
    public static IServiceCollection AddBrokering(this IServiceCollection services) =>
        services.AddScoped<ReleaseBroker>().AddSingleton<ReleaseContents>().AddSingleton<ReleaseGroupCommit>().AddScoped<StatisticsRelease>();
}
