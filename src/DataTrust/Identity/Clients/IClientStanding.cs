using DataTrust.Persistence;

namespace DataTrust.Identity.Clients;

/// <summary>
/// Another capability's say on whether a client may get tokens at all right now (e.g. the consent
/// ledger refuses a suspended data recipient). The token endpoint asks every registered one.
/// </summary>
internal interface IClientStanding
{
    /// <summary>Why the client may not get tokens now, for the <c>error_description</c>; null when it may.</summary>
    Task<string?> RefusalAsync(DataTrustDbContext db, string clientId, CancellationToken cancellationToken);

    /// <summary>
    /// PostgreSQL: the same test as an SQL condition on the client id <paramref name="clientId"/> (an SQL expression),
    /// for a token's own transaction to check. It locks what it reads (<c>FOR SHARE</c>), so a change being committed
    /// meanwhile is waited for and seen.
    /// </summary>
    string MayGetTokensSql(string clientId);
}
