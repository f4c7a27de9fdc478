using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Identity.Token;

/// <summary>A token to issue: its durable row and its <c>token.issued</c> entry, committed together.</summary>
internal sealed record PendingIssuance(IssuedAccessToken Row, AuditEvent Entry);

/// <summary>
/// Group commit (<see cref="GroupCommit{TItem, TResult}"/>) for tokens that need no other change
/// (client_credentials): the rows and audit entries of concurrent requests are written in one transaction,
/// and each request answers only after it has committed (promise 3 holds per token: both commit, or the
/// request fails).
/// </summary>
internal sealed class IssuanceGroupCommit(IDbContextFactory<DataTrustDbContext> contexts, IAuditLog audit)
    : GroupCommit<PendingIssuance, bool>(contexts)
{
    /// <summary>Completes once the row and the entry are committed; throws if their transaction failed.</summary>
    public Task CommitAsync(IssuedAccessToken row, AuditEvent entry, CancellationToken cancellationToken) =>
        CommitAsync(new PendingIssuance(row, entry), cancellationToken);

    protected override async Task<IReadOnlyList<bool>> WriteAsync(DataTrustDbContext db, IReadOnlyList<PendingIssuance> batch, CancellationToken cancellationToken)
    {
        db.AddRange(batch.Select(p => p.Row));
        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, [.. batch.Select(p => p.Entry)], cancellationToken);
        return [.. batch.Select(_ => true)];
    }
}
