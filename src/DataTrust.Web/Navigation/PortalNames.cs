using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Web.Localization;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Navigation;

/// <summary>People-facing names for the ids the audit log holds: recipients from the client registry, purposes and categories from the policy.</summary>
internal sealed class PortalNames(IReadOnlyDictionary<string, string> recipients, DataUsePolicy policy)
{
    public static async Task<PortalNames> LoadAsync(IDbContextFactory<DataTrustDbContext> contexts, DataUsePolicy policy, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var recipients = await db.Set<Client>().AsNoTracking().ToDictionaryAsync(c => c.ClientId, c => c.DisplayName, StringComparer.Ordinal, cancellationToken);
        return new PortalNames(recipients, policy);
    }

    public string Recipient(string? clientId) =>
        clientId is null ? "" : recipients.TryGetValue(clientId, out var name) && name.Length > 0 ? name : clientId;

    public string Purpose(string purposeId) => policy.FindPurpose(purposeId)?.Title is { } title ? Text.T(title.Ja, title.En) : purposeId;

    public string Category(string categoryId) => policy.FindCategory(categoryId)?.Name is { } name ? Text.T(name.Ja, name.En) : categoryId;
}
