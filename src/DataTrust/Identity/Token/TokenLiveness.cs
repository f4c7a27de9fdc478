using System.Collections.Concurrent;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DataTrust.Identity.Token;

/// <summary>
/// Endpoint metadata: the endpoint reads its access token's liveness again inside the transaction that makes its
/// effect (<see cref="TokenLiveness.LiveIdsAsync"/>), and refuses the request there if the token is no longer live.
/// Its authentication may then take the token's row and client from <see cref="RecentlyLiveTokens"/> instead of
/// reading them for every request.
/// </summary>
internal sealed class TokenLivenessRecheckedInTransaction
{
    public static readonly TokenLivenessRecheckedInTransaction Instance = new();

    private TokenLivenessRecheckedInTransaction()
    {
    }
}

/// <summary>The liveness test of <see cref="AccessTokenValidator"/>, for many tokens at once inside the caller's transaction.</summary>
internal static class TokenLiveness
{
    /// <summary>On PostgreSQL, the tokens joined to their clients, which must be enabled: <c>FROM</c> this, then <see cref="IsLiveAt2"/>.</summary>
    internal const string TokensWithEnabledClients = "access_tokens t JOIN clients c ON c.client_id = t.client_id AND c.enabled";

    /// <summary>On PostgreSQL, that the token <c>t</c> is unrevoked and unexpired and its grant (if any) active and unexpired at <c>$2</c>.</summary>
    internal const string IsLiveAt2 =
        "t.revoked_at IS NULL AND t.expires_at > $2 " +
        "AND (t.grant_id IS NULL OR EXISTS (SELECT 1 FROM grants g WHERE g.id = t.grant_id AND g.status = 'Active' AND g.expires_at > $2))";

    private static readonly PerModel<Func<DataTrustDbContext, string[], DateTimeOffset, IAsyncEnumerable<string>>> LiveIds = new(() =>
        EF.CompileAsyncQuery((DataTrustDbContext db, string[] jtis, DateTimeOffset now) =>
            from t in db.Set<IssuedAccessToken>().AsNoTracking()
            where jtis.Contains(t.Jti) && t.RevokedAt == null && t.ExpiresAt > now
            where t.GrantId == null || db.Set<Grant>().Any(g => g.Id == t.GrantId && g.Status == GrantStatus.Active && g.ExpiresAt > now)
            where db.Set<Client>().Any(c => c.ClientId == t.ClientId && c.Enabled)
            select t.Jti));

    /// <summary>
    /// Which of the tokens (by <c>jti</c>) are live now: unrevoked, unexpired, their grant active, their client enabled.
    /// On PostgreSQL, the release batch sends <see cref="LiveIdsCommand"/> along with its other reads instead.
    /// </summary>
    public static async Task<HashSet<string>> LiveIdsAsync(DataTrustDbContext db, IReadOnlyCollection<string> jtis, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        if (jtis.Count == 0)
        {
            return live;
        }

        await foreach (var jti in LiveIds.For(db)(db, [.. jtis], now).WithCancellation(cancellationToken))
        {
            live.Add(jti);
        }

        return live;
    }

    /// <summary>PostgreSQL: the test of <see cref="LiveIdsAsync"/>, to send along with others in one round trip; read its result with <see cref="ReadLiveIdsAsync"/>.</summary>
    internal static NpgsqlBatchCommand LiveIdsCommand(IReadOnlyCollection<string> jtis, DateTimeOffset now) =>
        new($"SELECT t.jti FROM {TokensWithEnabledClients} WHERE t.jti = ANY($1) AND {IsLiveAt2}")
        {
            Parameters = { new NpgsqlParameter { Value = jtis.ToArray() }, new NpgsqlParameter { Value = now } },
        };

    /// <summary>The live ids of <see cref="LiveIdsCommand"/>'s result, on which <paramref name="reader"/> stands.</summary>
    internal static async Task<HashSet<string>> ReadLiveIdsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            live.Add(reader.GetString(0));
        }

        return live;
    }
}

/// <summary>
/// Token rows (with their clients) that this instance found live within the last <see cref="Freshness"/>. Only
/// endpoints marked <see cref="TokenLivenessRecheckedInTransaction"/> use it, so a revocation still refuses their very
/// next request; what may be up to <see cref="Freshness"/> old is the client's registration that the request works
/// with (its keys, sector, high-assurance flag). Bounded: when full, it is emptied and fills again.
/// </summary>
internal sealed class RecentlyLiveTokens
{
    internal static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    internal const int Capacity = 4096;

    private readonly ConcurrentDictionary<string, (LiveRow Row, DateTimeOffset ReadAt)> _rows = new(StringComparer.Ordinal);

    public LiveRow? Find(string jti, DateTimeOffset now) =>
        _rows.TryGetValue(jti, out var entry) && entry.ReadAt <= now && now - entry.ReadAt < Freshness && entry.Row.Token.ExpiresAt > now
            ? entry.Row
            : null;

    public void Remember(LiveRow row, DateTimeOffset readAt)
    {
        if (_rows.Count >= Capacity)
        {
            _rows.Clear();
        }

        _rows[row.Token.Jti] = (row, readAt);
    }
}
