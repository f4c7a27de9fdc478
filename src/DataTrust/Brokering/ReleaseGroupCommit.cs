using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Consent;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Brokering;

/// <summary>A release prepared outside the lock: the question to decide, and the entry to append for either answer.</summary>
internal sealed record PreparedRelease(ReleaseQuestion Question, DataReleased Released, Func<string, DataReleaseRefused> Refused);

/// <summary>
/// The decisions of releases prepared concurrently, made together: one transaction locks their consents,
/// decides each on the live ledger, counts the uses and appends one entry per release (released or refused),
/// and every request learns its decision only after that commit (promises 1–3 per release; see
/// <see cref="GroupCommit{TItem, TResult}"/>). A release whose consent changed since it was prepared is
/// answered <see cref="ReleaseDecision.Stale"/>, with nothing counted or appended.
/// </summary>
internal sealed class ReleaseGroupCommit(IDbContextFactory<DataTrustDbContext> contexts, IAuditLog audit, TimeProvider clock)
    : GroupCommit<PreparedRelease, ReleaseDecision>(contexts)
{
    protected override async Task<IReadOnlyList<ReleaseDecision>> WriteAsync(DataTrustDbContext db, IReadOnlyList<PreparedRelease> batch, CancellationToken cancellationToken)
    {
        var decisions = await ConsentLedger.AuthorizeReleasesAsync(db, [.. batch.Select(r => r.Question)], clock.GetUtcNow(), cancellationToken);
        var entries = new List<AuditEvent>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (decisions[i].Allowed)
            {
                entries.Add(batch[i].Released);
            }
            else if (decisions[i].Refusal is { } refusal)
            {
                entries.Add(batch[i].Refused(refusal));
            }
        }

        await audit.AppendAsync(db, entries, cancellationToken);
        return decisions;
    }
}
