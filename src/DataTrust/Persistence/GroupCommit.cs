using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Persistence;

/// <summary>
/// Group commit: the work of the requests that arrive while one transaction is under way is done together
/// in the next one, and each request is answered only after the transaction holding its work has committed
/// (or fails with that transaction's error). This is for throughput only. Every audited effect serialises
/// on the audit log's head row until its commit, so one transaction per request would cap the rate at one
/// fsync'd commit per request. Nothing here is shared between instances or needed for correctness.
/// </summary>
internal abstract class GroupCommit<TItem, TResult> : IDisposable
{
    private const int LargestBatch = 256;

    private readonly IDbContextFactory<DataTrustDbContext> _contexts;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    protected GroupCommit(IDbContextFactory<DataTrustDbContext> contexts)
    {
        _contexts = contexts;
        _writer = Task.Run(WriteBatchesAsync);
    }

    /// <summary>Completes with the item's result once its transaction has committed; throws if that transaction failed.</summary>
    public Task<TResult> CommitAsync(TItem item, CancellationToken cancellationToken)
    {
        var pending = new Pending(item, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);

        // A caller that gives up may find its work committed (and audited) all the same, but nothing is sent to it.
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// Does the batch's work inside the open transaction <paramref name="db"/> has; one result per item, in order. The caller
    /// commits, on PostgreSQL with the statements left for the commit (<see cref="CommitTail"/>).
    /// </summary>
    protected abstract Task<IReadOnlyList<TResult>> WriteAsync(DataTrustDbContext db, IReadOnlyList<TItem> batch, CancellationToken cancellationToken);

    private async Task WriteBatchesAsync()
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
                db.Database.AutoSavepointsEnabled = false; // the batch commits or fails whole: a savepoint per SaveChanges would only add round trips
                await using var transaction = await db.Database.BeginTransactionAsync();
                CommitTail.Open(db, transaction);
                var results = await WriteAsync(db, [.. batch.Select(p => p.Item)], CancellationToken.None);
                await CommitTail.CommitAsync(db, transaction, CancellationToken.None);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(results[i]);
                }
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

    private sealed record Pending(TItem Item, TaskCompletionSource<TResult> Done);
}
