using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.EntityFrameworkCore;

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
    // Run for every batch of releases: compiled, so EF does not translate it again each time. All versions of the
    // locked consents (a handful each), the current one picked in memory: a join on the head row's version gets a
    // generic plan from PostgreSQL that costs ten times more.
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

    /// <summary>Writes the counted uses: on PostgreSQL in one statement for the whole batch, on SQLite through the change tracker.</summary>
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

        var heads = _counted.ToList();
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE consents AS c SET release_count = u.release_count, period_started_at = u.period_started_at,
                releases_in_period = u.releases_in_period, last_release_at = u.last_release_at
            FROM unnest({heads.ConvertAll(h => h.Id)}::uuid[], {heads.ConvertAll(h => h.ReleaseCount)}::integer[],
                {heads.ConvertAll(h => h.PeriodStartedAt)}::timestamptz[], {heads.ConvertAll(h => h.ReleasesInPeriod)}::integer[],
                {heads.ConvertAll(h => h.LastReleaseAt)}::timestamptz[]) AS u(id, release_count, period_started_at, releases_in_period, last_release_at)
            WHERE c.id = u.id
            """, cancellationToken);
        foreach (var head in heads)
        {
            db.Entry(head).State = EntityState.Unchanged; // written: nothing left for SaveChanges
        }
    }

    /// <summary>The recipients' statuses, share-locked on PostgreSQL so that a suspension waits for the releases deciding on them.</summary>
    private static async Task<Dictionary<string, RecipientStatus>> RecipientStatusesAsync(DataTrustDbContext db, string[] clientIds, CancellationToken cancellationToken)
    {
        if (clientIds.Length == 0)
        {
            return [];
        }

        var recipients = db.IsSqlite
            ? db.Set<Recipient>().Where(r => clientIds.Contains(r.ClientId))
            : db.Set<Recipient>().FromSqlInterpolated($"SELECT * FROM recipients WHERE client_id = ANY({clientIds}) ORDER BY client_id FOR SHARE");
        return await recipients.AsNoTracking().ToDictionaryAsync(r => r.ClientId, r => r.Status, StringComparer.Ordinal, cancellationToken);
    }
}
