using System.Buffers.Text;
using System.Security.Cryptography;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Vault.Links;

/// <summary>
/// Residents' links to data providers and their storage consent per category. Every change appends rows
/// (consent is never updated in place) and its audit entries in one transaction. A deposit locks the link row
/// it stores under (<see cref="LockAsync"/>), and so does every consent change: once a withdrawal returns,
/// no deposit that read the old consent can still commit.
/// </summary>
internal sealed class ProviderLinks(DataUsePolicy policy, IAuditLog audit, TimeProvider time)
{
    /// <summary>Data providers a resident can link: enabled clients of kind DataProvider.</summary>
    public static async Task<IReadOnlyList<ProviderInfo>> ProvidersAsync(DataTrustDbContext db, CancellationToken cancellationToken) =>
        await db.Set<Client>().AsNoTracking()
            .Where(c => c.Kind == ClientKind.DataProvider && c.Enabled)
            .OrderBy(c => c.DisplayName)
            .Select(c => new ProviderInfo(c.ClientId, c.DisplayName))
            .ToListAsync(cancellationToken);

    /// <summary>The resident's active links with each category's current consent, oldest link first.</summary>
    public static async Task<IReadOnlyList<LinkView>> ListAsync(DataTrustDbContext db, Guid residentId, CancellationToken cancellationToken)
    {
        var links = await db.Set<VaultProviderLink>().AsNoTracking()
            .Where(l => l.ResidentId == residentId && l.UnlinkedAt == null)
            .OrderBy(l => l.LinkedAt)
            .ToListAsync(cancellationToken);
        var ids = links.Select(l => l.Id).ToList();
        var consents = await db.Set<VaultStorageConsent>().AsNoTracking().Where(c => ids.Contains(c.LinkId)).ToListAsync(cancellationToken);
        var names = await db.Set<Client>().AsNoTracking().Select(c => new { c.ClientId, c.DisplayName }).ToDictionaryAsync(c => c.ClientId, c => c.DisplayName, StringComparer.Ordinal, cancellationToken);
        return [.. links.Select(l => new LinkView(
            l.Id, l.LinkId, l.ProviderId, names.GetValueOrDefault(l.ProviderId, l.ProviderId), l.LinkedAt,
            [.. consents.Where(c => c.LinkId == l.Id).GroupBy(c => c.CategoryId, StringComparer.Ordinal)
                .Select(g => g.MaxBy(c => c.Version)!)
                .OrderBy(c => c.CategoryId, StringComparer.Ordinal)
                .Select(c => new CategoryConsent(c.CategoryId, c.Given, c.Version, c.DecidedAt))]))];
    }

    /// <summary>
    /// Links the provider (or reuses the active link to it) and gives storage consent for the categories.
    /// </summary>
    public async Task<LinkResult> LinkAsync(DataTrustDbContext db, Guid residentId, string providerId, IReadOnlyCollection<string> categories, CancellationToken cancellationToken)
    {
        if (categories.Count == 0)
        {
            return LinkResult.Refused("Choose at least one kind of data the provider may store.");
        }

        if (categories.FirstOrDefault(c => policy.FindCategory(c) is null) is { } unknown)
        {
            return LinkResult.Refused($"There is no data category '{unknown}' in the policy.");
        }

        var provider = await db.Set<Client>().AsNoTracking()
            .FirstOrDefaultAsync(c => c.ClientId == providerId && c.Kind == ClientKind.DataProvider && c.Enabled, cancellationToken);
        if (provider is null)
        {
            return LinkResult.Refused("There is no such data provider.");
        }

        var actor = AuditActor.Resident(residentId);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var events = new List<AuditEvent>();
        var link = await db.Set<VaultProviderLink>()
            .FirstOrDefaultAsync(l => l.ResidentId == residentId && l.ProviderId == providerId && l.UnlinkedAt == null, cancellationToken);
        if (link is null)
        {
            link = new VaultProviderLink
            {
                Id = Guid.CreateVersion7(now),
                LinkId = NewLinkId(),
                ResidentId = residentId,
                ProviderId = providerId,
                LinkedAt = now,
            };
            db.Add(link);
            await db.SaveChangesAsync(cancellationToken);
            events.Add(new ProviderLinkChanged(actor, residentId, providerId, link.Id, Linked: true));
        }

        await LockAsync(db, link.Id, cancellationToken);
        foreach (var category in categories.Distinct(StringComparer.Ordinal))
        {
            if (await AppendAsync(db, link, category, given: true, now, cancellationToken) is { } version)
            {
                events.Add(new StorageConsentChanged(actor, residentId, providerId, link.Id, category, Given: true, version));
            }
        }

        await audit.AppendAsync(db, events, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new LinkResult(link.Id, link.LinkId, null);
    }

    /// <summary>Gives or withdraws storage consent for one category of an active link; false when the resident has no such link.</summary>
    public async Task<bool> DecideAsync(DataTrustDbContext db, Guid residentId, Guid link, string categoryId, bool given, CancellationToken cancellationToken)
    {
        if (policy.FindCategory(categoryId) is null)
        {
            return false;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var row = await ActiveLinkAsync(db, residentId, link, cancellationToken);
        if (row is null)
        {
            return false;
        }

        await LockAsync(db, row.Id, cancellationToken);
        if (await AppendAsync(db, row, categoryId, given, time.GetUtcNow(), cancellationToken) is { } version)
        {
            await audit.AppendAsync(db, new StorageConsentChanged(AuditActor.Resident(residentId), residentId, row.ProviderId, row.Id, categoryId, given, version), cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Withdraws every given category and ends the link; false when the resident has no such active link.</summary>
    public async Task<bool> UnlinkAsync(DataTrustDbContext db, Guid residentId, Guid link, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var row = await ActiveLinkAsync(db, residentId, link, cancellationToken);
        if (row is null)
        {
            return false;
        }

        await LockAsync(db, row.Id, cancellationToken);
        var actor = AuditActor.Resident(residentId);
        var now = time.GetUtcNow();
        var events = new List<AuditEvent>();
        var categories = await db.Set<VaultStorageConsent>().Where(c => c.LinkId == row.Id).Select(c => c.CategoryId).Distinct().ToListAsync(cancellationToken);
        foreach (var category in categories.Order(StringComparer.Ordinal))
        {
            if (await AppendAsync(db, row, category, given: false, now, cancellationToken) is { } version)
            {
                events.Add(new StorageConsentChanged(actor, residentId, row.ProviderId, row.Id, category, Given: false, version));
            }
        }

        await db.Set<VaultProviderLink>().Where(l => l.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(l => l.UnlinkedAt, now), cancellationToken);
        events.Add(new ProviderLinkChanged(actor, residentId, row.ProviderId, row.Id, Linked: false));
        await audit.AppendAsync(db, events, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The active link a provider addresses by its link id; null when there is none for this provider.</summary>
    public static Task<VaultProviderLink?> FindForProviderAsync(DataTrustDbContext db, string providerId, string linkId, CancellationToken cancellationToken) =>
        db.Set<VaultProviderLink>().AsNoTracking()
            .FirstOrDefaultAsync(l => l.LinkId == linkId && l.ProviderId == providerId && l.UnlinkedAt == null, cancellationToken);

    /// <summary>Whether the newest decision for this category of the link is "given".</summary>
    public static async Task<bool> IsGivenAsync(DataTrustDbContext db, Guid link, string categoryId, CancellationToken cancellationToken) =>
        await db.Set<VaultStorageConsent>().AsNoTracking()
            .Where(c => c.LinkId == link && c.CategoryId == categoryId)
            .OrderByDescending(c => c.Version)
            .Select(c => (bool?)c.Given)
            .FirstOrDefaultAsync(cancellationToken) == true;

    /// <summary>
    /// Locks the link row until the transaction ends (PostgreSQL: FOR UPDATE; SQLite: a write, which takes
    /// the database's write lock), so that consent decisions and deposits on one link run one after the other.
    /// </summary>
    public static async Task LockAsync(DataTrustDbContext db, Guid link, CancellationToken cancellationToken)
    {
        if (db.IsSqlite)
        {
            await db.Database.ExecuteSqlAsync($"UPDATE vault_provider_links SET id = id WHERE id = {link}", cancellationToken);
        }
        else
        {
            await db.Database.SqlQuery<Guid>($"SELECT id AS \"Value\" FROM vault_provider_links WHERE id = {link} FOR UPDATE").ToListAsync(cancellationToken);
        }
    }

    private static Task<VaultProviderLink?> ActiveLinkAsync(DataTrustDbContext db, Guid residentId, Guid link, CancellationToken cancellationToken) =>
        db.Set<VaultProviderLink>().AsNoTracking()
            .FirstOrDefaultAsync(l => l.Id == link && l.ResidentId == residentId && l.UnlinkedAt == null, cancellationToken);

    /// <summary>Appends a decision when it changes the category's state; returns its version, or null when nothing changed.</summary>
    private static async Task<int?> AppendAsync(DataTrustDbContext db, VaultProviderLink link, string categoryId, bool given, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var latest = await db.Set<VaultStorageConsent>().AsNoTracking()
            .Where(c => c.LinkId == link.Id && c.CategoryId == categoryId)
            .OrderByDescending(c => c.Version)
            .FirstOrDefaultAsync(cancellationToken);
        if ((latest?.Given ?? false) == given)
        {
            return null;
        }

        var row = new VaultStorageConsent
        {
            Id = Guid.CreateVersion7(now),
            LinkId = link.Id,
            CategoryId = categoryId,
            Version = (latest?.Version ?? 0) + 1,
            Given = given,
            DecidedAt = now,
        };
        db.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        db.Entry(row).State = EntityState.Detached;
        return row.Version;
    }

    private static string NewLinkId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}

internal sealed record ProviderInfo(string ClientId, string DisplayName);

internal sealed record CategoryConsent(string CategoryId, bool Given, int Version, DateTimeOffset DecidedAt);

/// <param name="Id">The link's row id (what the resident's pages address).</param>
/// <param name="LinkId">The pairwise id the provider uses.</param>
internal sealed record LinkView(Guid Id, string LinkId, string ProviderId, string ProviderName, DateTimeOffset LinkedAt, IReadOnlyList<CategoryConsent> Categories);

internal sealed record LinkResult(Guid Id, string? LinkId, string? Error)
{
    public static LinkResult Refused(string error) => new(Guid.Empty, null, error);
}
