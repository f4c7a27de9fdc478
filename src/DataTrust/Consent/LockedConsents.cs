using DataTrust.Audit;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace DataTrust.Consent;

/// <summary>
/// The consents that releases are about to be decided under, locked for the rest of the caller's transaction
/// (PostgreSQL <c>FOR UPDATE</c> in id order, SQLite by writing them), with their current terms and their
/// recipients' statuses (share-locked on PostgreSQL). A revoke, pause, erasure or suspension waits until that
/// transaction, with its releases and audit entries, has committed (promise 2). Releases are decided one after
/// another on the state the ones before them left, so two releases of one consent count twice. The caller writes
/// the counted uses (<see cref="SaveCountsAsync"/>) and commits.
/// </summary>
internal sealed class LockedConsents
{
    // SQLite: all versions of the locked consents (a handful each), the current one picked in memory.
    private static readonly PerModel<Func<DataTrustDbContext, Guid[], IAsyncEnumerable<ConsentVersion>>> Versions = new(() =>
        EF.CompileAsyncQuery((DataTrustDbContext db, Guid[] ids) => db.Set<ConsentVersion>().AsNoTracking().Where(v => ids.Contains(v.ConsentId))));

    private readonly Dictionary<Guid, ConsentHead> _heads;
    private readonly Dictionary<Guid, ConsentVersion> _versions;
    private readonly Dictionary<string, RecipientStatus> _recipients;
    private readonly HashSet<ConsentHead> _counted = [];

    private LockedConsents(Dictionary<Guid, ConsentHead> heads, Dictionary<Guid, ConsentVersion> versions, Dictionary<string, RecipientStatus> recipients)
    {
        _heads = heads;
        _versions = versions;
        _recipients = recipients;
    }

    /// <summary>Locks those of the consents that exist (unknown ids are simply absent) inside the caller's open transaction.</summary>
    public static async Task<LockedConsents> LockAsync(DataTrustDbContext db, IReadOnlyCollection<Guid> consentIds, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("A release decision runs inside the caller's transaction, which also writes the release and its audit entry.");
        }

        if (db.Database.GetDbConnection() is NpgsqlConnection connection)
        {
            return await LockOnPostgresAsync(connection, (NpgsqlTransaction)db.Database.CurrentTransaction.GetDbTransaction(), consentIds, cancellationToken);
        }

        var heads = await ConsentLedger.LockAllAsync(db, consentIds, cancellationToken);
        var versions = new Dictionary<Guid, ConsentVersion>(heads.Count);
        if (heads.Count > 0)
        {
            await foreach (var version in Versions.For(db)(db, [.. heads.Keys]).WithCancellation(cancellationToken))
            {
                if (version.Version == heads[version.ConsentId].Version)
                {
                    versions.Add(version.ConsentId, version);
                }
            }
        }

        var recipients = await RecipientStatusesAsync(db, [.. heads.Values.Select(h => h.ClientId).Distinct(StringComparer.Ordinal)], cancellationToken);
        return new LockedConsents(heads, versions, recipients);
    }

    /// <summary>The consent's locked head row (whose resident it is, whose recipient), or null when no such consent exists.</summary>
    public ConsentHead? Head(Guid consentId) => _heads.GetValueOrDefault(consentId);

    /// <summary>The consent's live terms and state, including the uses counted so far in this transaction; null when it does not exist.</summary>
    public ConsentSnapshot? Snapshot(Guid consentId)
    {
        if (!_heads.TryGetValue(consentId, out var head))
        {
            return null;
        }

        var version = _versions[consentId];
        return new ConsentSnapshot(
            head.Id, head.ClientId, head.State, _recipients.GetValueOrDefault(head.ClientId, RecipientStatus.Suspended), version.PurposeId,
            DataRequests.Categories(version.Categories), version.ExpiresAt, version.DataFrom, version.DataTo, version.AccessMode, version.MaxReleasesPerPeriod,
            version.FrequencyPeriod is { } p && IsoDuration.TryParse(p, out var period) ? period : null,
            head.ReleaseCount, head.PeriodStartedAt, head.ReleasesInPeriod);
    }

    /// <summary>Counts one release, decided as allowed on <see cref="Snapshot"/>, against the consent's limits.</summary>
    public void CountRelease(ConsentSnapshot decidedOn, DateTimeOffset now)
    {
        var head = _heads[decidedOn.ConsentId];
        (head.PeriodStartedAt, head.ReleasesInPeriod) = ReleasePolicy.CountRelease(decidedOn, now);
        head.ReleaseCount++;
        head.LastReleaseAt = now;
        _counted.Add(head);
    }

    /// <summary>
    /// Writes the counted uses. On SQLite through the change tracker. On PostgreSQL in one statement for the whole batch
    /// (the heads are not tracked there), sent with the commit where the transaction has a <see cref="CommitTail"/>,
    /// else in the round trip that locks the audit head (<see cref="AuditLog.LockHeadAsync"/>): a release transaction
    /// appends its audit entries next, and that append reuses the lock.
    /// </summary>
    public async Task SaveCountsAsync(DataTrustDbContext db, CancellationToken cancellationToken)
    {
        if (_counted.Count == 0)
        {
            return;
        }

        if (db.IsSqlite)
        {
            await db.SaveChangesAsync(cancellationToken);
            return;
        }

        var counts = CountsCommand();
        if (!CommitTail.TryAppend(db, counts))
        {
            await AuditLog.LockHeadAsync(db, cancellationToken, counts);
        }
    }

    private NpgsqlBatchCommand CountsCommand()
    {
        var heads = _counted.ToList();
        return new NpgsqlBatchCommand("""
            UPDATE consents AS c SET release_count = u.release_count, period_started_at = u.period_started_at,
                releases_in_period = u.releases_in_period, last_release_at = u.last_release_at
            FROM unnest($1::uuid[], $2::integer[], $3::timestamptz[], $4::integer[], $5::timestamptz[])
                AS u(id, release_count, period_started_at, releases_in_period, last_release_at)
            WHERE c.id = u.id
            """)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = heads.ConvertAll(h => h.Id) },
                new NpgsqlParameter { Value = heads.ConvertAll(h => h.ReleaseCount) },
                new NpgsqlParameter { Value = heads.ConvertAll(h => h.PeriodStartedAt) },
                new NpgsqlParameter { Value = heads.ConvertAll(h => h.ReleasesInPeriod) },
                new NpgsqlParameter { Value = heads.ConvertAll(h => h.LastReleaseAt) },
            },
        };
    }

    /// <summary>
    /// The same in one round trip, as this runs for every batch of releases (<see cref="LockCommands"/>). The heads
    /// are not tracked: <see cref="SaveCountsAsync"/> writes the counts itself.
    /// </summary>
    private static async Task<LockedConsents> LockOnPostgresAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<Guid> consentIds, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var command in LockCommands(consentIds))
        {
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadLockedAsync(reader, cancellationToken);
    }

    /// <summary>
    /// PostgreSQL, for the caller to send along with other statements in one round trip: the head rows with their
    /// current versions (locked in id order), then the recipients' statuses (share-locked). Read both results with
    /// <see cref="ReadLockedAsync"/>.
    /// </summary>
    internal static NpgsqlBatchCommand[] LockCommands(IReadOnlyCollection<Guid> consentIds)
    {
        var ids = consentIds.Distinct().Order().ToArray();
        return
        [
            new("""
                SELECT c.id, c.resident_id, c.client_id, c.state, c.version, c.release_count, c.period_started_at, c.releases_in_period, c.last_release_at,
                       v.purpose_id, v.categories, v.expires_at, v.data_from, v.data_to, v.access_mode, v.max_releases_per_period, v.frequency_period
                FROM consents c JOIN consent_versions v ON v.consent_id = c.id AND v.version = c.version
                WHERE c.id = ANY($1) ORDER BY c.id FOR UPDATE OF c
                """) { Parameters = { new NpgsqlParameter { Value = ids } } },
            new("""
                SELECT client_id, status FROM recipients WHERE client_id IN (SELECT client_id FROM consents WHERE id = ANY($1))
                ORDER BY client_id FOR SHARE
                """) { Parameters = { new NpgsqlParameter { Value = ids } } },
        ];
    }

    /// <summary>The locked consents from <see cref="LockCommands"/>' two results; <paramref name="reader"/> stands on the first and is left on the second.</summary>
    internal static async Task<LockedConsents> ReadLockedAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var heads = new Dictionary<Guid, ConsentHead>();
        var versions = new Dictionary<Guid, ConsentVersion>();
        var recipients = new Dictionary<string, RecipientStatus>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var head = new ConsentHead
            {
                Id = reader.GetGuid(0), ResidentId = reader.GetGuid(1), ClientId = reader.GetString(2), State = Enum.Parse<ConsentState>(reader.GetString(3)),
                Version = reader.GetInt32(4), ReleaseCount = reader.GetInt32(5), PeriodStartedAt = Nullable<DateTimeOffset>(reader, 6),
                ReleasesInPeriod = reader.GetInt32(7), LastReleaseAt = Nullable<DateTimeOffset>(reader, 8),
            };
            heads.Add(head.Id, head);
            versions.Add(head.Id, new ConsentVersion
            {
                ConsentId = head.Id, Version = head.Version, State = head.State, PurposeId = reader.GetString(9), Categories = reader.GetString(10),
                ExpiresAt = Nullable<DateTimeOffset>(reader, 11), DataFrom = Nullable<DateTimeOffset>(reader, 12), DataTo = Nullable<DateTimeOffset>(reader, 13),
                AccessMode = Enum.Parse<AccessMode>(reader.GetString(14)), MaxReleasesPerPeriod = Nullable<int>(reader, 15),
                FrequencyPeriod = reader.IsDBNull(16) ? null : reader.GetString(16),
            });
        }

        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            recipients.Add(reader.GetString(0), Enum.Parse<RecipientStatus>(reader.GetString(1)));
        }

        return new LockedConsents(heads, versions, recipients);
    }

    private static T? Nullable<T>(NpgsqlDataReader reader, int ordinal)
        where T : struct => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<T>(ordinal);

    /// <summary>The recipients' statuses (SQLite: the transaction's write lock keeps a suspension out until it commits).</summary>
    private static async Task<Dictionary<string, RecipientStatus>> RecipientStatusesAsync(DataTrustDbContext db, string[] clientIds, CancellationToken cancellationToken) =>
        clientIds.Length == 0
            ? []
            : await db.Set<Recipient>().AsNoTracking().Where(r => clientIds.Contains(r.ClientId))
                .ToDictionaryAsync(r => r.ClientId, r => r.Status, StringComparer.Ordinal, cancellationToken);
}
