using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace DataTrust.Persistence;

/// <summary>
/// On PostgreSQL, the last writes of a transaction that nothing reads before the commit (audit entries, counters) can
/// travel with its <c>COMMIT</c>: one round trip where there were two, while the audit head is locked. Only a transaction
/// whose owner opened a tail (<see cref="Open"/>) and commits through <see cref="CommitAsync"/> collects them; elsewhere
/// <see cref="TryAppend"/> answers false and the caller sends its statements at once. The statements run in order, then
/// the commit; the first that fails stops the rest, nothing commits, and the error surfaces from <see cref="CommitAsync"/>.
/// </summary>
internal static class CommitTail
{
    private static readonly ConditionalWeakTable<IDbContextTransaction, List<NpgsqlBatchCommand>> Tails = [];

    /// <summary>Lets the statements of this transaction (PostgreSQL only) wait for its commit; the caller must commit with <see cref="CommitAsync"/>.</summary>
    public static void Open(DataTrustDbContext db, IDbContextTransaction transaction)
    {
        if (!db.IsSqlite)
        {
            Tails.Add(transaction, []);
        }
    }

    /// <summary>Adds the statements to the tail of <paramref name="db"/>'s transaction if it has one; false if the caller must send them now.</summary>
    public static bool TryAppend(DataTrustDbContext db, params NpgsqlBatchCommand[] statements)
    {
        if (db.Database.CurrentTransaction is not { } transaction || !Tails.TryGetValue(transaction, out var tail))
        {
            return false;
        }

        tail.AddRange(statements);
        return true;
    }

    /// <summary>Sends the tail, if any, and the commit in one round trip; without a tail, commits as usual.</summary>
    public static async Task CommitAsync(DataTrustDbContext db, IDbContextTransaction transaction, CancellationToken cancellationToken)
    {
        if (!Tails.TryGetValue(transaction, out var tail) || tail.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return;
        }

        Tails.Remove(transaction);

        // PostgreSQL skips everything after a failed statement up to the batch's end, the COMMIT included, and the
        // transaction is rolled back when disposed. Npgsql sees the commit in the server's answer (the connection is
        // idle again), so disposing the transaction afterwards sends nothing.
        await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)transaction.GetDbTransaction());
        foreach (var statement in tail)
        {
            batch.BatchCommands.Add(statement);
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}
