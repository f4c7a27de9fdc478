using System.Security.Claims;
using DataTrust.Audit.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace DataTrust.Audit.Api;

/// <summary><c>POST /api/audit/checkpoints</c>: seal a checkpoint now, over the log including this request's own entry.</summary>
internal static class SealCheckpoint
{
    public static void Map(RouteGroupBuilder auditors) => auditors.MapPost("/checkpoints", Handle);

    private static async Task<Results<Ok<CheckpointView>, ProblemHttpResult>> Handle(ClaimsPrincipal user, CheckpointSealer sealer, CancellationToken cancellationToken)
    {
        if (AuditEndpoints.Auditor(user) is not { } actor)
        {
            return AuditEndpoints.NoAccountId();
        }

        return TypedResults.Ok(CheckpointView.From(await sealer.SealAsync(new AuditCheckpointRequested(actor), cancellationToken)));
    }
}
