using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Links;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Vault.Ingestion;

/// <summary>One record a provider wants stored: which resident (by the link id it holds), which category, which fields.</summary>
internal sealed record DepositItem(string LinkId, string CategoryId, JsonElement Fields);

/// <summary>A problem with one item of a deposit (index in the request; 0 for a single record).</summary>
internal sealed record ItemProblem(int Index, string Field, string Problem);

internal enum DepositStatus
{
    Stored,
    Replayed,
    Invalid,
    UnknownLink,
    NoConsent,
    KeyReused,
}

internal sealed record DepositOutcome(DepositStatus Status, IReadOnlyList<Guid> RecordIds, IReadOnlyList<ItemProblem> Problems)
{
    public static DepositOutcome Refused(DepositStatus status, params ItemProblem[] problems) => new(status, [], problems);
}

/// <summary>
/// Stores one or more records from one provider all-or-nothing, in one transaction with one audit entry per
/// record: every item is validated against its category first (every problem reported, nothing stored), then
/// each item's link must be active for this provider and its category's storage consent given. With an
/// idempotency key, a repeat of the same request returns the first result and stores nothing; the same key
/// with another request is refused. Values are never logged or quoted in errors.
/// </summary>
internal sealed class RecordDeposits(VaultStore vault, DataUsePolicy policy, IAuditLog audit, TimeProvider time)
{
    public const int SchemaVersion = 1;

    public async Task<DepositOutcome> DepositAsync(
        DataTrustDbContext db, string providerId, IReadOnlyList<DepositItem> items, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var problems = new List<ItemProblem>();
        for (var i = 0; i < items.Count; i++)
        {
            if (policy.FindCategory(items[i].CategoryId) is not { } category)
            {
                problems.Add(new(i, "category", "is not a data category of the policy (see GET /api/policy)"));
                continue;
            }

            problems.AddRange(RecordFields.Check(category, items[i].Fields).Select(p => new ItemProblem(i, p.Field, p.Problem)));
        }

        if (problems.Count > 0)
        {
            return new DepositOutcome(DepositStatus.Invalid, [], problems);
        }

        var hash = RequestHash(items);
        try
        {
            return await StoreAsync(db, providerId, items, idempotencyKey, hash, cancellationToken);
        }
        catch (DbUpdateException ex) when (idempotencyKey is not null && DuplicateKey.Caused(ex))
        {
            // The same key won a race in another request: answer as its repeat would be answered.
            db.ChangeTracker.Clear();
            return await ReplayAsync(db, providerId, idempotencyKey, hash, cancellationToken)
                ?? throw new InvalidOperationException("An idempotency key conflicted but its deposit is not there.", ex);
        }
    }

    private async Task<DepositOutcome> StoreAsync(
        DataTrustDbContext db, string providerId, IReadOnlyList<DepositItem> items, string? idempotencyKey, byte[] hash, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (idempotencyKey is not null && await ReplayAsync(db, providerId, idempotencyKey, hash, cancellationToken) is { } replay)
        {
            return replay;
        }

        var residents = new List<Guid>();
        for (var i = 0; i < items.Count; i++)
        {
            var link = await ProviderLinks.FindForProviderAsync(db, providerId, items[i].LinkId, cancellationToken);
            if (link is null)
            {
                return DepositOutcome.Refused(DepositStatus.UnknownLink, new ItemProblem(i, "linkId", "is not an active link of a resident to this provider"));
            }

            await ProviderLinks.LockAsync(db, link.Id, cancellationToken);
            if (!await ProviderLinks.IsGivenAsync(db, link.Id, items[i].CategoryId, cancellationToken))
            {
                return DepositOutcome.Refused(DepositStatus.NoConsent,
                    new ItemProblem(i, "category", $"the resident has not given (or has withdrawn) consent to this provider storing '{items[i].CategoryId}'"));
            }

            residents.Add(link.ResidentId);
        }

        var ids = new List<Guid>();
        var events = new List<AuditEvent>();
        var actor = AuditActor.Client(providerId);
        for (var i = 0; i < items.Count; i++)
        {
            var payload = Encoding.UTF8.GetBytes(items[i].Fields.GetRawText());
            try
            {
                var id = await vault.PutAsync(db, residents[i], items[i].CategoryId, SchemaVersion, payload, providerId, cancellationToken);
                ids.Add(id);
                events.Add(new RecordDeposited(actor, residents[i], id, items[i].CategoryId, providerId));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(payload);
            }
        }

        if (idempotencyKey is not null)
        {
            db.Add(new VaultDeposit
            {
                ProviderId = providerId,
                IdempotencyKey = idempotencyKey,
                RequestHash = hash,
                ResidentId = residents[0],
                RecordIds = string.Join(',', ids),
                CreatedAt = time.GetUtcNow(),
            });
            await db.SaveChangesAsync(cancellationToken);
        }

        await audit.AppendAsync(db, [.. ResidentDataKeys.TakeCreated(db, actor), .. events], cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new DepositOutcome(DepositStatus.Stored, ids, []);
    }

    private static async Task<DepositOutcome?> ReplayAsync(DataTrustDbContext db, string providerId, string idempotencyKey, byte[] hash, CancellationToken cancellationToken)
    {
        var earlier = await db.Set<VaultDeposit>().AsNoTracking()
            .FirstOrDefaultAsync(d => d.ProviderId == providerId && d.IdempotencyKey == idempotencyKey, cancellationToken);
        if (earlier is null)
        {
            return null;
        }

        return CryptographicOperations.FixedTimeEquals(earlier.RequestHash, hash)
            ? new DepositOutcome(DepositStatus.Replayed, [.. earlier.RecordIds.Split(',').Select(Guid.Parse)], [])
            : DepositOutcome.Refused(DepositStatus.KeyReused, new ItemProblem(0, "Idempotency-Key", "was already used for a different request"));
    }

    /// <summary>SHA-256 over each item's link id, category and fields exactly as received.</summary>
    private static byte[] RequestHash(IReadOnlyList<DepositItem> items)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var item in items)
        {
            foreach (var part in new[] { item.LinkId, item.CategoryId, item.Fields.GetRawText() })
            {
                var bytes = Encoding.UTF8.GetBytes(part);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
                hash.AppendData(length);
                hash.AppendData(bytes);
            }
        }

        return hash.GetHashAndReset();
    }
}
