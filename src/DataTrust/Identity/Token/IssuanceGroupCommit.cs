using System.Threading.Channels;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Identity.Token;

/// <summary>
/// Group commit for tokens that need no other change (client_credentials): the token rows and audit
/// entries of the requests that arrive while one commit is under way are written together in the next
/// transaction, and each request answers only after the transaction holding its row and its entry has
/// committed (promise 3 holds per token: both commit, or the request fails). This is for throughput only:
/// every audit append serialises on the log's head row, so one transaction per token would cap issuance
/// at one commit latency per token. Nothing here is shared between instances or needed for correctness.
/// </summary>
internal sealed class IssuanceGroupCommit : IDisposable
{
    private const int LargestBatch = 256;

    private readonly IDbContextFactory<DataTrustDbContext> _contexts;
    private readonly IAuditLog _audit;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public IssuanceGroupCommit(IDbContextFactory<DataTrustDbContext> contexts, IAuditLog audit)
    {
        _contexts = contexts;
        _audit = audit;
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>Completes once the row and the entry are committed; throws if their transaction failed.</summary>
    public Task CommitAsync(IssuedAccessToken row, AuditEvent entry, CancellationToken cancellationToken)
    {
        var pending = new Pending(row, entry, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);

        // A caller that gives up may still find its token committed (and audited as issued) but never sent: harmless.
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(10));
    }

    private async Task WriteAsync()
    {
        var batch = new List<Pending>(LargestBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < LargestBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                await using var db = await _contexts.CreateDbContextAsync();

                // A failed batch fails as a whole, so a savepoint around SaveChanges would only cost round trips.
                db.Database.AutoSavepointsEnabled = false;
                await using var transaction = await db.Database.BeginTransactionAsync();
                db.AddRange(batch.Select(p => p.Row));
                await db.SaveChangesAsync();
                await _audit.AppendAsync(db, [.. batch.Select(p => p.Entry)]);
                await transaction.CommitAsync();
                batch.ForEach(p => p.Done.TrySetResult());
            }
#pragma warning disable CA1031 // every waiting request fails with the batch's error (fail closed); the loop goes on
            catch (Exception error)
#pragma warning restore CA1031
            {
                batch.ForEach(p => p.Done.TrySetException(error));
            }

            batch.Clear();
        }
    }

    private sealed record Pending(IssuedAccessToken Row, AuditEvent Entry, TaskCompletionSource Done);
}
