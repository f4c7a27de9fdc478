using System.Security.Cryptography;
using System.Text;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Identity.Subjects;

/// <summary>
/// Pairwise subject identifiers (OIDC Core §8.1, promise 7): HMAC-SHA256 over the client's sector and
/// the resident's id, keyed by a secret kept in the database under Data Protection. Recipients in
/// different sectors see unrelated identifiers; nobody without the secret can map one to a resident.
/// </summary>
internal sealed class PairwiseSubjects(IDbContextFactory<DataTrustDbContext> contexts, IDataProtectionProvider dataProtection, TimeProvider clock)
{
    private const string SecretName = "pairwise-subject-key";

    private readonly IDataProtector _protector = dataProtection.CreateProtector("DataTrust.Identity.PairwiseSecret");
    private byte[]? _secret;

    public async Task<string> SubjectAsync(Client client, Guid userId, CancellationToken cancellationToken)
    {
        var secret = _secret ??= await LoadOrCreateAsync(cancellationToken);
        var input = Encoding.UTF8.GetBytes(Sector(client) + "\n" + userId.ToString("D"));
        return Base64UrlEncoder.Encode(HMACSHA256.HashData(secret, input));
    }

    /// <summary>The registered sector identifier, else the host of the redirect URIs, else the client itself.</summary>
    public static string Sector(Client client) =>
        client.SectorIdentifier
        ?? client.RedirectUris.Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri.Host.ToLowerInvariant() : null).FirstOrDefault(h => h is not null)
        ?? "client:" + client.ClientId;

    private async Task<byte[]> LoadOrCreateAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Set<ProviderSecret>().AsNoTracking().SingleOrDefaultAsync(s => s.Name == SecretName, cancellationToken) is { } stored)
        {
            return _protector.Unprotect(Convert.FromBase64String(stored.ProtectedValue));
        }

        db.Add(new ProviderSecret
        {
            Name = SecretName,
            ProtectedValue = Convert.ToBase64String(_protector.Protect(RandomNumberGenerator.GetBytes(32))),
            CreatedAt = clock.GetUtcNow(),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // another instance created it first: use theirs
        }

        await using var reread = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await reread.Set<ProviderSecret>().AsNoTracking().SingleAsync(s => s.Name == SecretName, cancellationToken);
        return _protector.Unprotect(Convert.FromBase64String(row.ProtectedValue));
    }
}
