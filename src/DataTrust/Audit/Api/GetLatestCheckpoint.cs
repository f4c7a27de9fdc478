using DataTrust.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Audit.Api;

/// <summary><c>GET /api/audit/checkpoints/latest</c>: the newest signed checkpoint. Reading signed tree heads is not recorded: they hold no personal data.</summary>
internal static class GetLatestCheckpoint
{
    public static void Map(RouteGroupBuilder auditors) => auditors.MapGet("/checkpoints/latest", Handle);

    private static async Task<Results<Ok<CheckpointView>, ProblemHttpResult>> Handle(IDbContextFactory<DataTrustDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await CheckpointSealer.LatestAsync(db, cancellationToken) is { } latest
            ? TypedResults.Ok(CheckpointView.From(latest))
            : AuditEndpoints.NotFound("No checkpoint has been sealed yet.");
    }
}
