using System.Globalization;
using System.Text.Json;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Subjects;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DataTrust.Brokering;

/// <summary>How the released data is written: plain JSON, NGSI-LD entities, or either encrypted to the recipient (JWE).</summary>
internal enum ReleaseFormat
{
    Json,
    NgsiLd,
    Jwe,
}

/// <summary>The outcome of a release: the body to send, or a refusal code, or a request problem.</summary>
internal sealed record ReleaseOutcome(byte[]? Body, Guid ReleaseId, string? Refusal, string? ProblemCode = null, string? Problem = null)
{
    public static ReleaseOutcome Refused(string code) => new(null, Guid.Empty, code);

    public static ReleaseOutcome Invalid(string code, string problem) => new(null, Guid.Empty, null, code, problem);
}

/// <summary>One record as released: its category, the date its data is about, and only the allowed fields.</summary>
internal sealed record ReleasedRecord(string Category, DateTimeOffset DataDate, IReadOnlyList<KeyValuePair<string, JsonElement>> Fields);

/// <summary>Everything a release's body is made of.</summary>
internal sealed record ReleaseContent(
    Guid ReleaseId, Guid ConsentId, string Subject, string Purpose, string PolicyVersion, DateTimeOffset ReleasedAt,
    DateTimeOffset? DataFrom, DateTimeOffset? DataTo, IReadOnlyList<ReleasedRecord> Records);

/// <summary>
/// A release to a recipient (promises 1, 3, 5, 7). In one transaction: the consent ledger locks the consent
/// and decides on its live state, counting the use; the resident's records in the asked categories and
/// period are decrypted and cut down to the fields the purpose's minimisation rule allows (intersected with
/// the consent's); the body is built completely in memory; the <see cref="DataReleased"/> entry is appended;
/// and only after the commit is the body handed back to be sent. A failed commit sends nothing.
/// </summary>
internal sealed partial class ReleaseBroker(
    DataTrustDbContext db, DataUsePolicy policy, IAuditLog audit, VaultStore vault, PairwiseSubjects pairwise, TimeProvider clock, ILogger<ReleaseBroker> logger)
{
    public async Task<ReleaseOutcome> ReleaseAsync(string clientId, Guid? grantId, ReleaseRequest request, ReleaseFormat format, CancellationToken cancellationToken)
    {
        // Read without a lock only to find the resident and prepare; the decision below reads again under the lock.
        var consentId = request.ConsentId;
        if (consentId is null && grantId is { } grant)
        {
            consentId = await db.Set<ConsentHead>().AsNoTracking().Where(c => c.GrantId == grant && c.ClientId == clientId)
                .OrderByDescending(c => c.UpdatedAt).Select(c => (Guid?)c.Id).FirstOrDefaultAsync(cancellationToken);
        }

        if (consentId is null)
        {
            return request.ConsentId is null && grantId is null
                ? ReleaseOutcome.Invalid("consent_required", "Name the consent: \"consentId\" (or use a resident's access token whose grant is linked to a consent).")
                : ReleaseOutcome.Refused(ReleaseRefusal.NoConsent);
        }

        var head = await (
            from c in db.Set<ConsentHead>().AsNoTracking()
            join v in db.Set<ConsentVersion>().AsNoTracking() on new { c.Id, c.Version } equals new { Id = v.ConsentId, v.Version }
            where c.Id == consentId
            select new { c.ResidentId, c.ClientId, v.PurposeId, v.Categories, v.DataFrom, v.DataTo }).SingleOrDefaultAsync(cancellationToken);
        if (head is null)
        {
            // A random id names no resident: there is nobody to record the refusal against (see Brokering/README.md).
            LogUnknownConsent(logger, clientId);
            return ReleaseOutcome.Refused(ReleaseRefusal.NoConsent);
        }

        var purpose = request.Purpose ?? head.PurposeId;
        var actor = AuditActor.Client(clientId);
        if (!string.Equals(head.ClientId, clientId, StringComparison.Ordinal))
        {
            return await RefuseAsync(actor, head.ResidentId, clientId, purpose, ReleaseRefusal.NoConsent, cancellationToken);
        }

        // The consent's own terms fill in what the recipient left out: all its fields, its whole period.
        var covered = DataRequests.Categories(head.Categories);
        var asked = request.Categories.Select(a => new RequestedCategory(a.Category,
            a.Fields ?? covered.FirstOrDefault(c => c.Category == a.Category)?.Fields ?? [])).ToList();
        var from = request.DataFrom ?? head.DataFrom;
        var to = request.DataTo ?? head.DataTo;

        var client = await db.Set<Client>().AsNoTracking().SingleAsync(c => c.ClientId == clientId, cancellationToken);
        var subject = await pairwise.SubjectAsync(client, head.ResidentId, cancellationToken);
        var encryptionKey = format == ReleaseFormat.Jwe ? RecipientEncryption.FindKey(client.Jwks) : null;
        if (format == ReleaseFormat.Jwe && encryptionKey is null)
        {
            return ReleaseOutcome.Invalid("no_encryption_key", "The client has no registered EC P-256 key with \"use\": \"enc\" to encrypt the release to.");
        }

        var now = clock.GetUtcNow();
        var releaseId = Guid.CreateVersion7(now);
        var ask = new ReleaseAsk(clientId, purpose, asked, from, to);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var decision = await ConsentLedger.AuthorizeReleaseAsync(db, consentId.Value, ask, now, cancellationToken);
        if (!decision.Allowed)
        {
            await audit.AppendAsync(db, new DataReleaseRefused(actor, head.ResidentId, clientId, purpose, decision.Refusal!), cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return ReleaseOutcome.Refused(decision.Refusal!);
        }

        var records = new List<ReleasedRecord>();
        var releasedFields = new SortedSet<string>(StringComparer.Ordinal);
        var allowed = asked.ToDictionary(a => a.Category,
            a => policy.AllowedFields(purpose, a.Category).Intersect(a.Fields, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var decrypted = await vault.GetAllAsync(db, head.ResidentId, allowed.Keys, cancellationToken);
        try
        {
            foreach (var category in asked)
            {
                foreach (var record in decrypted.Where(r => r.CategoryId == category.Category))
                {
                    using var json = record.ParseJson();
                    var dataDate = DataDate(category.Category, json.RootElement) ?? record.CreatedAt;
                    if ((from is { } f && dataDate < f) || (to is { } t && dataDate > t))
                    {
                        continue;
                    }

                    var fields = json.RootElement.EnumerateObject().Where(p => allowed[category.Category].Contains(p.Name))
                        .Select(p => new KeyValuePair<string, JsonElement>(p.Name, p.Value.Clone())).ToList();
                    releasedFields.UnionWith(fields.Select(p => category.Category + "." + p.Key));
                    records.Add(new ReleasedRecord(category.Category, dataDate, fields));
                }
            }
        }
        finally
        {
            decrypted.ForEach(r => r.Dispose());
        }

        var content = new ReleaseContent(releaseId, consentId.Value, subject, purpose, policy.Version, now, from, to, records);
        var body = ReleaseWriter.Write(content, format == ReleaseFormat.NgsiLd);
        if (encryptionKey is not null)
        {
            body = RecipientEncryption.Encrypt(body, encryptionKey);
        }

        await audit.AppendAsync(db, new DataReleased(actor, head.ResidentId, consentId.Value, clientId, purpose, releaseId,
            [.. asked.Select(a => a.Category)], [.. releasedFields]), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ReleaseOutcome(body, releaseId, null);
    }

    private async Task<ReleaseOutcome> RefuseAsync(AuditActor actor, Guid residentId, string clientId, string purpose, string code, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await audit.AppendAsync(db, new DataReleaseRefused(actor, residentId, clientId, purpose, code), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ReleaseOutcome.Refused(code);
    }

    /// <summary>The date a record's data is about: its category's first date or date-time field present, else null.</summary>
    internal DateTimeOffset? DataDate(string categoryId, JsonElement fields)
    {
        if (policy.FindCategory(categoryId) is not { } category || fields.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var field in category.Fields.Where(f => f.Type is FieldType.Date or FieldType.DateTime))
        {
            if (!fields.TryGetProperty(field.Id, out var value) || value.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            if (field.Type == FieldType.Date && DateOnly.TryParseExact(value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                return new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            }

            if (field.Type == FieldType.DateTime && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
            {
                return instant;
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 8101, Level = LogLevel.Information, Message = "Client {ClientId} asked for a release under a consent id that does not exist")]
    private static partial void LogUnknownConsent(ILogger logger, string clientId);
}
