using System.Security.Claims;
using DataTrust.Audit.Events;
using DataTrust.Audit.Verification;
using DataTrust.Common.Http;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Audit.Api;

/// <summary>
/// <c>POST /api/audit/verify</c>: recompute the live log (chain, hashes, Merkle roots against every
/// checkpoint, stored tree nodes) and report the first bad index. Optionally pass a checkpoint kept
/// from earlier as <c>{"trustedCheckpoint": jws}</c>: the log must still contain that exact tree.
/// The verification is recorded after it runs, with its outcome.
/// </summary>
internal static class VerifyAuditLog
{
    internal sealed record Request(string? TrustedCheckpoint);

    public static void Map(RouteGroupBuilder auditors) => auditors.MapPost("/verify", Handle).RequireRateLimiting(RateLimiting.Sensitive);

    private static async Task<Results<Ok<AuditVerificationReport>, ProblemHttpResult>> Handle(
        Request? request,
        ClaimsPrincipal user,
        LiveAuditVerifier verifier,
        IDbContextFactory<DataTrustDbContext> contexts,
        IAuditLog log,
        CancellationToken cancellationToken)
    {
        if (AuditEndpoints.Auditor(user) is not { } actor)
        {
            return AuditEndpoints.NoAccountId();
        }

        if (request?.TrustedCheckpoint is { } trusted && Integrity.CheckpointJws.Read(trusted) is null)
        {
            return AuditEndpoints.BadRequest("'trustedCheckpoint' is not a checkpoint (a JWS compact serialisation as the API and bundles give them).");
        }

        return TypedResults.Ok(await RunAsync(request?.TrustedCheckpoint, actor, verifier, contexts, log, cancellationToken));
    }

    /// <summary>Verifies the live log and records the verification with its outcome (the API and the auditor console share this).</summary>
    internal static async Task<AuditVerificationReport> RunAsync(
        string? trustedCheckpoint,
        AuditActor actor,
        LiveAuditVerifier verifier,
        IDbContextFactory<DataTrustDbContext> contexts,
        IAuditLog log,
        CancellationToken cancellationToken)
    {
        var report = await verifier.VerifyAsync(trustedCheckpoint, cancellationToken);
        await log.RecordAsync(contexts, new AuditLogVerified(actor, report.Ok, report.Entries, report.FirstBadIndex), cancellationToken);
        return report;
    }
}
