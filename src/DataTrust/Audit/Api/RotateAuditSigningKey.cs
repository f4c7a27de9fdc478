using System.Security.Claims;
using DataTrust.Accounts;
using DataTrust.Audit.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace DataTrust.Audit.Api;

/// <summary><c>POST /api/audit/signing-keys/rotate</c>: operators retire the active checkpoint key and start a new one. Audited.</summary>
internal static class RotateAuditSigningKey
{
    internal sealed record Rotated(string KeyId);

    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/api/audit/signing-keys/rotate", Handle).WithTags("Audit").RequireAuthorization(AccessPolicies.Operator);

    private static async Task<Results<Ok<Rotated>, ProblemHttpResult>> Handle(ClaimsPrincipal user, AuditSigningKeys keys, CancellationToken cancellationToken)
    {
        if (AuditActor.FromUser(user, AuditActorType.Operator) is not { } actor)
        {
            return AuditEndpoints.NoAccountId();
        }

        return TypedResults.Ok(new Rotated(await keys.RotateAsync(actor, cancellationToken)));
    }
}
