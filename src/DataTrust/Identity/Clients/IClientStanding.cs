namespace DataTrust.Identity.Clients;

/// <summary>
/// Another capability's say on whether a client may get tokens at all right now (e.g. the consent
/// ledger refuses a suspended data recipient). The token endpoint asks every registered one.
/// </summary>
internal interface IClientStanding
{
    /// <summary>Why the client may not get tokens now, for the <c>error_description</c>; null when it may.</summary>
    Task<string?> RefusalAsync(string clientId, CancellationToken cancellationToken);
}
