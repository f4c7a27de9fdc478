using DataTrust.Audit.Events;
using DataTrust.Audit.Integrity;
using DataTrust.Audit.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataTrust.Audit;

/// <summary>
/// Seals signed checkpoints of the whole log. The recurring job calls <see cref="SealAsync"/> with no
/// request: it appends nothing and makes no checkpoint when the latest one already covers the log.
/// A person's request (on-demand seal, export) is appended first, so the checkpoint covers it.
/// </summary>
internal sealed class CheckpointSealer(
    IDbContextFactory<DataTrustDbContext> contexts,
    IAuditLog log,
    AuditSigningKeys keys,
    TimeProvider clock,
    IOptions<AuditOptions> options)
{
    public const string JobActorName = "jobs/audit-checkpoint";

    public async Task<AuditCheckpoint> SealAsync(AuditEvent? request, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var (keyId, key) = await keys.GetActiveAsync(cancellationToken);
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var head = await AuditLog.LockHeadAsync(db, cancellationToken);

            // A rotation that committed since the key was read wins: sign with the new key instead.
            if ((await AuditSigningKeys.ActiveKeyAsync(db, cancellationToken))?.KeyId != keyId)
            {
                continue;
            }

            if (request is null)
            {
                var latest = await LatestAsync(db, cancellationToken);
                if (latest is not null && latest.TreeSize == head.Size)
                {
                    return latest;
                }
            }
            else
            {
                await log.AppendAsync(db, request, cancellationToken);
            }

            var checkpoint = new Checkpoint(options.Value.Origin, head.Size, CompactRange.Unpack(head.Size, head.Frontier).Root(), AuditEntryEncoding.Truncate(clock.GetUtcNow()));
            var row = new AuditCheckpoint
            {
                TreeSize = checkpoint.TreeSize,
                RootHash = checkpoint.RootHash,
                SealedAt = checkpoint.Time,
                KeyId = keyId,
                Jws = CheckpointJws.Sign(checkpoint, keyId, key),
            };
            db.Add(row);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return row;
        }

        throw new InvalidOperationException("The audit signing key changed three times while sealing a checkpoint; try again.");
    }

    /// <summary>The recurring job's entry point: seal if the log grew since the last checkpoint.</summary>
    public Task<AuditCheckpoint> SealForScheduleAsync(CancellationToken cancellationToken) => SealAsync(request: null, cancellationToken);

    public static Task<AuditCheckpoint?> LatestAsync(DataTrustDbContext db, CancellationToken cancellationToken) =>
        db.Set<AuditCheckpoint>().AsNoTracking().OrderByDescending(c => c.TreeSize).ThenByDescending(c => c.Id).FirstOrDefaultAsync(cancellationToken);
}
