using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace DataTrust.Identity.Token;

/// <summary>
/// A token to issue: its durable row, its <c>token.issued</c> entry, and on PostgreSQL the version of the client's row
/// it was decided on (<see cref="Client.ReadVersion"/>).
/// </summary>
internal sealed record PendingIssuance(IssuedAccessToken Row, AuditEvent Entry, long? ClientVersion);

/// <summary>
/// Group commit (<see cref="GroupCommit{TItem, TResult}"/>) for tokens that need no other change
/// (client_credentials): the rows and audit entries of concurrent requests are written in one transaction,
/// and each request answers only after it has committed (promise 3 holds per token: both commit, or the
/// request fails). On PostgreSQL a token commits only if, in that transaction, its client is still enabled, its
/// row unchanged since it was read, and every <see cref="IClientStanding"/> lets it have tokens; otherwise it is
/// answered false and neither stored nor audited, so the token endpoint may decide on a cached client.
/// </summary>
internal sealed class IssuanceGroupCommit(IDbContextFactory<DataTrustDbContext> contexts, IAuditLog audit, IEnumerable<IClientStanding> standings)
    : GroupCommit<PendingIssuance, bool>(contexts)
{
    private readonly string _insert = $"""
        INSERT INTO access_tokens (jti, client_id, grant_id, user_id, subject, audience, scopes, dpop_jkt, created_at, expires_at)
        SELECT u.jti, u.client_id, u.grant_id, u.user_id, u.subject, u.audience, u.scopes, u.dpop_jkt, u.created_at, u.expires_at
        FROM unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::bigint[])
            AS u(jti, client_id, grant_id, user_id, subject, audience, scopes, dpop_jkt, created_at, expires_at, client_version)
        WHERE EXISTS (SELECT 1 FROM clients c WHERE c.client_id = u.client_id AND c.enabled AND {ClientRows.VersionColumn} = u.client_version FOR SHARE)
        {string.Concat(standings.Select(s => "AND " + s.MayGetTokensSql("u.client_id") + "\n"))}
        """;

    /// <summary>Completes once the row and the entry are committed, true; false when the client changed (see above); throws if their transaction failed.</summary>
    public Task<bool> CommitAsync(IssuedAccessToken row, AuditEvent entry, long? clientVersion, CancellationToken cancellationToken) =>
        CommitAsync(new PendingIssuance(row, entry, clientVersion), cancellationToken);

    protected override async Task<IReadOnlyList<bool>> WriteAsync(DataTrustDbContext db, IReadOnlyList<PendingIssuance> batch, CancellationToken cancellationToken)
    {
        if (db.IsSqlite)
        {
            db.AddRange(batch.Select(p => p.Row));
            await db.SaveChangesAsync(cancellationToken);
            await audit.AppendAsync(db, [.. batch.Select(p => p.Entry)], cancellationToken);
            return [.. batch.Select(_ => true)];
        }

        // The checks lock the clients' and recipients' rows before the audit head, in the round trip that locks the head.
        var insert = InsertCommand([.. batch]);
        await AuditLog.LockHeadAsync(db, cancellationToken, insert);
        var stored = insert.RecordsAffected == batch.Count
            ? batch.Select(p => p.Row.Jti).ToHashSet(StringComparer.Ordinal)
            : await StoredAsync(db, [.. batch.Select(p => p.Row.Jti)], cancellationToken);
        if (stored.Count > 0)
        {
            await audit.AppendAsync(db, [.. batch.Where(p => stored.Contains(p.Row.Jti)).Select(p => p.Entry)], cancellationToken);
        }

        return [.. batch.Select(p => stored.Contains(p.Row.Jti))];
    }

    /// <summary>All the batch's rows in one statement, without EF's change tracking (which took more CPU than the insert).</summary>
    private NpgsqlBatchCommand InsertCommand(List<PendingIssuance> batch)
    {
        var rows = batch.ConvertAll(p => p.Row);
        return new NpgsqlBatchCommand(_insert)
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
                new NpgsqlParameter { Value = batch.ConvertAll(p => p.ClientVersion) },
            },
        };
    }

    private static async Task<HashSet<string>> StoredAsync(DataTrustDbContext db, string[] jtis, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT jti FROM access_tokens WHERE jti = ANY($1)", (NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction())
        {
            Parameters = { new NpgsqlParameter { Value = jtis } },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var stored = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            stored.Add(reader.GetString(0));
        }

        return stored;
    }
}
