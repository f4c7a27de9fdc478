using System.Collections.Concurrent;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Keys;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace DataTrust.Identity.Token;

/// <summary>
/// An access token that verified and is live: signed by us, unexpired, unrevoked, its grant active, its client
/// enabled; with that client's registration as read in the same query.
/// </summary>
internal sealed record LiveAccessToken(IssuedAccessToken Row, JsonWebToken Token, Client Client);

/// <summary>
/// Checks an access token the way every resource path of DataTrust must (userinfo, introspection, the
/// brokering API): signature and type, then the database record and the grant in one query, so that
/// revocation takes effect at once (promise 2) rather than when the JWT expires. A disabled client's tokens are
/// not live either.
/// </summary>
internal sealed class AccessTokenValidator(
    DataTrustDbContext db, SigningKeyStore keys, Issuer issuer, TimeProvider clock, VerifiedTokenCache verified, RecentlyLiveTokens recentlyLive)
{
    private static readonly JsonWebTokenHandler Handler = new();

    // The token's row if it is unrevoked and unexpired and its grant (if any) is active and unexpired, with its client, which must be enabled.
    private static readonly PerModel<Func<DataTrustDbContext, string, DateTimeOffset, Task<LiveRow?>>> LiveRows = new(() =>
        EF.CompileAsyncQuery((DataTrustDbContext db, string jti, DateTimeOffset now) =>
            (from t in db.Set<IssuedAccessToken>().AsNoTracking()
             where t.Jti == jti && t.RevokedAt == null && t.ExpiresAt > now
             where t.GrantId == null || db.Set<Grant>().Any(g => g.Id == t.GrantId && g.Status == GrantStatus.Active && g.ExpiresAt > now)
             join c in db.Set<Client>().AsNoTracking() on t.ClientId equals c.ClientId
             where c.Enabled
             select new LiveRow(t, c)).SingleOrDefault()));

    /// <param name="recheckedInTransaction">
    /// The endpoint tests liveness again where it makes its effect (<see cref="TokenLivenessRecheckedInTransaction"/>):
    /// a row found live in the last seconds will do here.
    /// </param>
    public async Task<LiveAccessToken?> ValidateAsync(HttpContext context, string token, CancellationToken cancellationToken, bool recheckedInTransaction = false)
    {
        var jwt = await VerifySignatureAsync(context, token, TokenFactory.AccessTokenType, cancellationToken);
        if (jwt is null || string.IsNullOrEmpty(jwt.Id))
        {
            return null;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var now = clock.GetUtcNow();
        var live = recheckedInTransaction ? recentlyLive.Find(jwt.Id, now) : null;
        if (live is null)
        {
            live = db.Database.GetDbConnection() is NpgsqlConnection
                ? await LiveRowOnPostgresAsync(jwt.Id, now, cancellationToken)
                : await LiveRows.For(db)(db, jwt.Id, now);
            if (live is not null && recheckedInTransaction)
            {
                recentlyLive.Remember(live, now);
            }
        }

        return live is null ? null : new LiveAccessToken(live.Token, jwt, live.Client);
    }

    /// <summary><see cref="LiveRows"/> without EF's materialiser, which cost more CPU than the query on every protected request.</summary>
    private async Task<LiveRow?> LiveRowOnPostgresAsync(string jti, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand($"""
                SELECT t.jti, t.client_id, t.grant_id, t.user_id, t.subject, t.audience, t.scopes, t.dpop_jkt, t.created_at, t.expires_at, {ClientRows.Columns}
                FROM {TokenLiveness.TokensWithEnabledClients} WHERE t.jti = $1 AND {TokenLiveness.IsLiveAt2}
                """, (NpgsqlConnection)db.Database.GetDbConnection())
            {
                Parameters = { new NpgsqlParameter { Value = jti }, new NpgsqlParameter { Value = now } },
            };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            var token = new IssuedAccessToken
            {
                Jti = reader.GetString(0), ClientId = reader.GetString(1), GrantId = reader.IsDBNull(2) ? null : reader.GetGuid(2),
                UserId = reader.IsDBNull(3) ? null : reader.GetGuid(3), Subject = reader.GetString(4), Audience = reader.GetString(5),
                Scopes = ClientRows.List(reader, 6), DpopJkt = ClientRows.Text(reader, 7),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(8), ExpiresAt = reader.GetFieldValue<DateTimeOffset>(9),
            };
            return new LiveRow(token, ClientRows.Read(reader, 10)!);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Signature, issuer and <c>typ</c> only; lifetime and revocation are the caller's business.</summary>
    public async Task<JsonWebToken?> VerifySignatureAsync(HttpContext context, string token, string type, CancellationToken cancellationToken)
    {
        if (token.Length > 8192 || token.Count(c => c == '.') != 2)
        {
            return null;
        }

        var validIssuer = issuer.For(context);
        var published = await keys.PublishedAsync(cancellationToken);
        if (verified.Find(token, validIssuer, type, published) is { } known)
        {
            return known;
        }

        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = published,
            ValidIssuer = validIssuer,
            ValidateAudience = false,
            ValidateLifetime = false,
            ValidTypes = [type],
            ValidAlgorithms = SigningKeyStore.Algorithms,
            RequireSignedTokens = true,
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return null;
        }

        verified.Remember(token, validIssuer, type, jwt);
        return jwt;
    }
}

internal sealed record LiveRow(IssuedAccessToken Token, Client Client);

/// <summary>
/// Tokens whose signature, issuer and type this instance has already verified. Whether a given token
/// string carries a valid signature by a given key never changes, so remembering it saves the ECDSA/RSA
/// verification and nothing else: a hit still needs the signing key (<c>kid</c>) to be published now, and
/// liveness (revocation, expiry, grant) is read from the database on every use. Bounded: when full, it is
/// emptied and fills again.
/// </summary>
internal sealed class VerifiedTokenCache
{
    internal const int Capacity = 4096;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    internal int Count => _entries.Count;

    public JsonWebToken? Find(string token, string issuer, string type, IReadOnlyList<JsonWebKey> published)
    {
        if (!_entries.TryGetValue(token, out var entry) || entry.Issuer != issuer || entry.Type != type)
        {
            return null;
        }

        foreach (var key in published)
        {
            if (key.KeyId == entry.Token.Kid)
            {
                return entry.Token;
            }
        }

        return null;
    }

    public void Remember(string token, string issuer, string type, JsonWebToken verified)
    {
        if (string.IsNullOrEmpty(verified.Kid))
        {
            return;
        }

        if (_entries.Count >= Capacity)
        {
            _entries.Clear();
        }

        _entries[token] = new Entry(issuer, type, verified);
    }

    private sealed record Entry(string Issuer, string Type, JsonWebToken Token);
}
