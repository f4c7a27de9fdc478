using System.Security.Claims;
using DataTrust.Accounts;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Common.Http;
using DataTrust.Jobs;
using DataTrust.Persistence;
using DataTrust.Vault.Keys;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Vault.Rotation;

/// <summary>KEK rotation as a background job: resumable, so a retry simply continues.</summary>
internal sealed class RotateKekJob(KeyEncryptionKeyRotation rotation) : IJobHandler
{
    public const string Kind = "vault.rotate-kek";

    public async Task HandleAsync(JobContext job, CancellationToken cancellationToken)
    {
        var result = await rotation.RewrapAllAsync(AuditActor.System("jobs/vault-rotate-kek"), null, cancellationToken);
        if (!result.Complete)
        {
            throw new InvalidOperationException($"{result.Unreadable} data key(s) failed to unwrap and {result.UnderMissingVersions} are under KEK versions not in the ring.");
        }
    }
}

/// <summary>Data key rotation of one resident as a background job; the payload fixes the version being retired, so a retry never rotates twice.</summary>
internal sealed class RotateDekJob(DataKeyRotation rotation) : IJobHandler
{
    public const string Kind = "vault.rotate-dek";

    public async Task HandleAsync(JobContext job, CancellationToken cancellationToken)
    {
        var payload = job.ReadPayload<RotateDekPayload>();
        var result = await rotation.RotateAsync(AuditActor.System("jobs/vault-rotate-dek"), payload.ResidentId, payload.SupersededVersion, null, cancellationToken);
        if (result.Unreadable > 0)
        {
            throw new InvalidOperationException($"{result.Unreadable} record(s) could not be decrypted and keep their old data key.");
        }
    }
}

internal sealed record RotateDekPayload(Guid ResidentId, int SupersededVersion);

/// <summary>
/// Operators start rotations as jobs: <c>POST /api/admin/vault/rotate-kek</c> (rewrap every data key under the
/// current KEK version) and <c>POST /api/admin/vault/residents/{id}/rotate-dek</c>. 202 with the job id (watch it
/// under <c>/api/admin/jobs/{id}</c>); asking twice for the same rotation returns the same job. The request is
/// audited with the job in one transaction; the rotation's own <c>key.rotated</c> entry follows when it ends.
/// </summary>
internal static class RotationEndpoints
{
    public static IEndpointRouteBuilder MapVaultAdmin(this IEndpointRouteBuilder endpoints)
    {
        var vault = endpoints.MapGroup("/api/admin/vault")
            .RequireAuthorization(AccessPolicies.Operator)
            .RequireRateLimiting(RateLimiting.Sensitive)
            .WithTags("Vault keys");
        vault.MapPost("/rotate-kek", StartKek).WithName("StartKekRotation").WithSummary("Start a KEK rotation job");
        vault.MapPost("/residents/{id:guid}/rotate-dek", StartDek).WithName("StartDekRotation").WithSummary("Start a data key rotation job for one resident");
        return endpoints;
    }

    private static async Task<IResult> StartKek(ClaimsPrincipal user, IDbContextFactory<DataTrustDbContext> contexts, JobQueue jobs, KeyRingProvider keyRing, IAuditLog audit, CancellationToken cancellationToken)
    {
        var actor = AuditActor.FromUser(user, AuditActorType.Operator) ?? throw new InvalidOperationException("An operator starts rotations.");
        var started = await StartKekRotationAsync(actor, contexts, jobs, keyRing, audit, cancellationToken);
        return TypedResults.Json(started, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>Queues the job that rewraps every data key under the current KEK (once per KEK version), recorded as <paramref name="actor"/>'s.</summary>
    internal static Task<RotationStarted> StartKekRotationAsync(AuditActor actor, IDbContextFactory<DataTrustDbContext> contexts, JobQueue jobs, KeyRingProvider keyRing, IAuditLog audit, CancellationToken cancellationToken)
    {
        var target = keyRing.Ring.CurrentVersion;
        return EnqueueAsync(actor, contexts, jobs, audit, RotateKekJob.Kind, null, $"vault.rotate-kek:v{target}", "vault.rotate_kek", VaultKeyAudit.KekId(target), null, cancellationToken);
    }

    private static async Task<IResult> StartDek(Guid id, ClaimsPrincipal user, IDbContextFactory<DataTrustDbContext> contexts, JobQueue jobs, IAuditLog audit, CancellationToken cancellationToken)
    {
        int version;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var current = await ResidentDataKeys.CurrentAsync(db, id, cancellationToken);
            if (current is null)
            {
                return TypedResults.Problem(detail: "This resident has no data key.", statusCode: StatusCodes.Status404NotFound, title: "No data key");
            }

            version = current.Version;
        }

        return await StartAsync(user, contexts, jobs, audit, RotateDekJob.Kind, new RotateDekPayload(id, version),
            $"vault.rotate-dek:{id:N}:v{version}", "vault.rotate_dek", $"dek-v{version}", id, cancellationToken);
    }

    private static async Task<IResult> StartAsync(
        ClaimsPrincipal user, IDbContextFactory<DataTrustDbContext> contexts, JobQueue jobs, IAuditLog audit,
        string kind, object? payload, string idempotencyKey, string operation, string keyId, Guid? resident, CancellationToken cancellationToken)
    {
        var actor = AuditActor.FromUser(user, AuditActorType.Operator) ?? throw new InvalidOperationException("An operator starts rotations.");
        var started = await EnqueueAsync(actor, contexts, jobs, audit, kind, payload, idempotencyKey, operation, keyId, resident, cancellationToken);
        return TypedResults.Json(started, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<RotationStarted> EnqueueAsync(
        AuditActor actor, IDbContextFactory<DataTrustDbContext> contexts, JobQueue jobs, IAuditLog audit,
        string kind, object? payload, string idempotencyKey, string operation, string keyId, Guid? resident, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var job = await jobs.EnqueueAsync(db, kind, payload, new EnqueueOptions { IdempotencyKey = idempotencyKey }, cancellationToken);
        if (job.Created)
        {
            await audit.AppendAsync(db, new AdminChanged(actor, operation, new AuditObject("key", keyId), resident), cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new RotationStarted(job.Id, kind, job.Created);
    }
}

internal sealed record RotationStarted(Guid JobId, string Kind, bool Created);
