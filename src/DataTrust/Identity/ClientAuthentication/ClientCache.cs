using System.Collections.Concurrent;
using DataTrust.Identity.Clients;

namespace DataTrust.Identity.ClientAuthentication;

/// <summary>
/// Clients as last read, for the one path that need not read the row first: client_credentials on PostgreSQL,
/// whose token commits only if the row still has the version it was read with (<see cref="Client.ReadVersion"/>,
/// checked by <c>IssuanceGroupCommit</c> in its transaction). A stale entry therefore costs a retry, never a token
/// for a client that was disabled, changed or suspended. Entries expire, so a client that stops calling is not kept.
/// </summary>
internal sealed class ClientCache(TimeProvider clock)
{
    private const int Capacity = 1024;
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, (Client Client, DateTimeOffset Expires)> _clients = new(StringComparer.Ordinal);

    public Client? Find(string clientId) =>
        _clients.TryGetValue(clientId, out var entry) && entry.Expires > clock.GetUtcNow() ? entry.Client : null;

    /// <summary>Keeps what was just read (only a versioned read: the check needs the version); forgets the client when it was not found.</summary>
    public void Update(string clientId, Client? read)
    {
        if (read?.ReadVersion is null)
        {
            _clients.TryRemove(clientId, out _);
            return;
        }

        if (_clients.Count >= Capacity)
        {
            _clients.Clear();
        }

        _clients[clientId] = (read, clock.GetUtcNow() + Lifetime);
    }
}
