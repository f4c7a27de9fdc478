using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

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
        if (db.Database.GetDbConnection() is NpgsqlConnection connection)
        {
            await InsertOnPostgresAsync(connection, (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction(), [.. batch.Select(p => p.Row)], cancellationToken);
        }
        else
        {
            db.AddRange(batch.Select(p => p.Row));
            await db.SaveChangesAsync(cancellationToken);
        }

        await audit.AppendAsync(db, [.. batch.Select(p => p.Entry)], cancellationToken);
        return [.. batch.Select(_ => true)];
    }

    /// <summary>All the batch's rows in one statement, without EF's change tracking (which took more CPU than the insert).</summary>
    private static async Task InsertOnPostgresAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<IssuedAccessToken> rows, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO access_tokens (jti, client_id, grant_id, user_id, subject, audience, scopes, dpop_jkt, created_at, expires_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[])
            """, connection, transaction)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = rows.ConvertAll(r => r.Jti) },
                new NpgsqlParameter { Value = rows.ConvertAll(r => r.ClientId) },
                new NpgsqlParameter { Value = rows.ConvertAll(r => r.GrantId) },
                new NpgsqlParameter { Value = rows.ConvertAll(r => r.UserId) },
                new NpgsqlParameter { Value = rows.ConvertAll(r => r.Subject) },
                new NpgsqlParameter { Value = rows.ConvertAll(r => r.Audience) },
                new NpgsqlParameter { Value = rows.ConvertAll(r => string.Join(' ', r.Scopes)) }, // as HasSpaceSeparatedConversion stores them
                new NpgsqlParameter { Value = rows.ConvertAll(r => r.DpopJkt) },
                new NpgsqlParameter { Value = rows.ConvertAll(r => r.CreatedAt) },
                new NpgsqlParameter { Value = rows.ConvertAll(r => r.ExpiresAt) },
            },
        };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
