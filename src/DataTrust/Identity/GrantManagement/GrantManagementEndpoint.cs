using System.Text.Json.Nodes;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Consent;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.ResourceServer;
using DataTrust.Identity.Storage;
using DataTrust.Identity.Token;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Identity.GrantManagement;

/// <summary>A client revoked one of its grants through Grant Management (a grant without a linked consent; consents are recorded by the ledger).</summary>
internal sealed record GrantRevokedByClient(string ClientId, Guid GrantId, Guid Resident) : AuditEvent(AuditActor.Client(ClientId))
{
    public override string Action => AuditAction.GrantRevokedByClient;

    public override Guid? Subject => Resident;

    public override string? Recipient => ClientId;

    public override Guid? Consent => GrantId;

    public override JsonObject Details() => new() { ["via"] = "grant_management" };
}

/// <summary>
/// FAPI Grant Management for OAuth 2.0: <c>GET /connect/grants/{grant_id}</c> (query) and
/// <c>DELETE /connect/grants/{grant_id}</c> (revoke), called with an access token of the grant's own
/// client carrying <c>grant_management_query</c> or <c>grant_management_revoke</c>. Another client's
/// grant, an unknown one and a revoked one all answer 404, so nothing leaks.
/// </summary>
internal static class GrantManagementEndpoint
{
    private const string Query = Scopes.GrantManagementQuery;
    private const string Revoke = Scopes.GrantManagementRevoke;

    public static readonly string[] Actions = ["query", "revoke"];

    public static async Task<IResult> QueryAsync(HttpContext context, string grantId, ProtectedResourceAuthenticator authenticator, DataTrustDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (grant, error) = await FindAsync(context, grantId, Query, authenticator, db, clock, cancellationToken);
        if (grant is null)
        {
            return error!;
        }

        var body = new JsonObject
        {
            ["scopes"] = new JsonArray([.. grant.Scopes.Select(s => (JsonNode)new JsonObject { ["scope"] = s })]),
        };
        if (grant.AuthorizationDetails is { } details)
        {
            body["authorization_details"] = JsonNode.Parse(details);
        }

        return new NoStoreJsonResult(body);
    }

    public static async Task<IResult> RevokeAsync(
        HttpContext context, string grantId, ProtectedResourceAuthenticator authenticator, DataTrustDbContext db, ConsentLedger ledger, IAuditLog audit, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var (grant, error) = await FindAsync(context, grantId, Revoke, authenticator, db, clock, cancellationToken);
        if (grant is null)
        {
            return error!;
        }

        // A consent given through this grant is withdrawn by the ledger, which also revokes the grant.
        if (!await ledger.WithdrawByGrantAsync(grant.ClientId, grant.Id, cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (await GrantRevocation.RevokeAsync(db, grant.Id, "grant_management", clock.GetUtcNow(), cancellationToken) > 0)
            {
                await audit.AppendAsync(db, new GrantRevokedByClient(grant.ClientId, grant.Id, grant.UserId), cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        return TypedResults.NoContent();
    }

    private static async Task<(Grant? Grant, IResult? Error)> FindAsync(
        HttpContext context, string grantId, string scope, ProtectedResourceAuthenticator authenticator, DataTrustDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var access = await authenticator.AuthenticateAsync(context, cancellationToken);
        if (access.Token is not { } token)
        {
            return (null, Challenge(StatusCodes.Status401Unauthorized, access.Error ?? "invalid_token", access.Description ?? "An access token is required.", access.IsDpopError));
        }

        if (!token.Row.Scopes.Contains(scope, StringComparer.Ordinal))
        {
            return (null, Challenge(StatusCodes.Status403Forbidden, "insufficient_scope", $"This action needs the scope {scope}.", false));
        }

        var now = clock.GetUtcNow();
        var grant = Guid.TryParse(grantId, out var id)
            ? await db.Set<Grant>().AsNoTracking().SingleOrDefaultAsync(g => g.Id == id && g.ClientId == token.Row.ClientId, cancellationToken)
            : null;
        if (grant is null || !grant.IsActive(now))
        {
            return (null, new NoStoreJsonResult(new JsonObject { ["error"] = "invalid_grant_id", ["error_description"] = "No active grant with this id belongs to this client." }, StatusCodes.Status404NotFound));
        }

        return (grant, null);
    }

    private static ChallengeResult Challenge(int status, string error, string description, bool isDpopError) =>
        new ChallengeResult(status, ProtectedResourceAuthenticator.Challenges(error, description, isDpopError));

    private sealed class ChallengeResult(int status, string[] challenges) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.Headers.CacheControl = "no-store";
            foreach (var challenge in challenges)
            {
                httpContext.Response.Headers.Append("WWW-Authenticate", challenge);
            }

            return Task.CompletedTask;
        }
    }
}
