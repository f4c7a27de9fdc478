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
using Microsoft.IdentityModel.Tokens;

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

/// <summary>A consent's state and current terms, as read (without a lock) to prepare a release.</summary>
internal sealed record ConsentTerms(
    Guid ResidentId, string ClientId, ConsentState State, int Version, string PurposeId, string Categories, DateTimeOffset? DataFrom, DateTimeOffset? DataTo);

/// <summary>Everything a release's body is made of.</summary>
internal sealed record ReleaseContent(
    Guid ReleaseId, Guid ConsentId, string Subject, string Purpose, string PolicyVersion, DateTimeOffset ReleasedAt,
    DateTimeOffset? DataFrom, DateTimeOffset? DataTo, IReadOnlyList<ReleasedRecord> Records);

/// <summary>
/// A release to a recipient (promises 1, 3, 5, 7). Outside any lock, the consent is read, and if it looks
/// live the resident's records in the asked categories and period are decrypted and cut down to the fields
/// the purpose's minimisation rule allows (intersected with the consent's), and the body is built completely
/// in memory. Then <see cref="ReleaseGroupCommit"/> decides on the locked live ledger, counts the use and
/// appends the <see cref="DataReleased"/> entry (or the refusal) in one transaction; only after its commit is
/// the body handed back to be sent. A failed commit sends nothing; a consent that changed meanwhile is
/// prepared again.
/// </summary>
internal sealed partial class ReleaseBroker(
    DataTrustDbContext db, DataUsePolicy policy, ReleaseGroupCommit decisions, VaultStore vault, PairwiseSubjects pairwise, TimeProvider clock, ILogger<ReleaseBroker> logger)
{
    private const int Attempts = 3;

    private static readonly PerModel<Func<DataTrustDbContext, Guid, Task<ConsentTerms?>>> LiveTerms = new(() => EF.CompileAsyncQuery((DataTrustDbContext db, Guid id) =>
        (from c in db.Set<ConsentHead>().AsNoTracking()
         join v in db.Set<ConsentVersion>().AsNoTracking() on new { c.Id, c.Version } equals new { Id = v.ConsentId, v.Version }
         where c.Id == id
         select new ConsentTerms(c.ResidentId, c.ClientId, c.State, c.Version, v.PurposeId, v.Categories, v.DataFrom, v.DataTo)).SingleOrDefault()));

    public async Task<ReleaseOutcome> ReleaseAsync(Client client, Guid? grantId, ReleaseRequest request, ReleaseFormat format, CancellationToken cancellationToken)
    {
        var consentId = request.ConsentId;
        if (consentId is null && grantId is { } grant)
        {
            consentId = await db.Set<ConsentHead>().AsNoTracking().Where(c => c.GrantId == grant && c.ClientId == client.ClientId)
                .OrderByDescending(c => c.UpdatedAt).Select(c => (Guid?)c.Id).FirstOrDefaultAsync(cancellationToken);
        }

        if (consentId is null)
        {
            return request.ConsentId is null && grantId is null
                ? ReleaseOutcome.Invalid("consent_required", "Name the consent: \"consentId\" (or use a resident's access token whose grant is linked to a consent).")
                : ReleaseOutcome.Refused(ReleaseRefusal.NoConsent);
        }

        var encryptionKey = format == ReleaseFormat.Jwe ? RecipientEncryption.FindKey(client.Jwks) : null;
        if (format == ReleaseFormat.Jwe && encryptionKey is null)
        {
            return ReleaseOutcome.Invalid("no_encryption_key", "The client has no registered EC P-256 key with \"use\": \"enc\" to encrypt the release to.");
        }

        for (var attempt = 1; ; attempt++)
        {
            var outcome = await TryReleaseAsync(client, consentId.Value, request, encryptionKey, format == ReleaseFormat.NgsiLd, cancellationToken);
            if (outcome is not null)
            {
                return outcome;
            }

            if (attempt == Attempts)
            {
                throw new InvalidOperationException($"Consent {consentId} changed during each of {Attempts} attempts to release under it.");
            }
        }
    }

    /// <summary>The release, or null when its consent changed between preparing and deciding.</summary>
    private async Task<ReleaseOutcome?> TryReleaseAsync(
        Client client, Guid consentId, ReleaseRequest request, JsonWebKey? encryptionKey, bool ngsiLd, CancellationToken cancellationToken)
    {
        // Read without a lock only to prepare; the decision reads again under the lock and checks the version is the same.
        var head = await LiveTerms.For(db)(db, consentId);
        if (head is null)
        {
            // A random id names no resident: there is nobody to record the refusal against (see Brokering/README.md).
            LogUnknownConsent(logger, client.ClientId);
            return ReleaseOutcome.Refused(ReleaseRefusal.NoConsent);
        }

        // The consent's own terms fill in what the recipient left out: all its fields, its whole period.
        var purpose = request.Purpose ?? head.PurposeId;
        var covered = DataRequests.Categories(head.Categories);
        var asked = request.Categories.Select(a => new RequestedCategory(a.Category,
            a.Fields ?? covered.FirstOrDefault(c => c.Category == a.Category)?.Fields ?? [])).ToList();
        var from = request.DataFrom ?? head.DataFrom;
        var to = request.DataTo ?? head.DataTo;
        var now = clock.GetUtcNow();
        var releaseId = Guid.CreateVersion7(now);

        // Nothing is decrypted for a consent that is not the caller's or not given; the decision refuses it anyway.
        var mayRelease = head.State == ConsentState.Given && string.Equals(head.ClientId, client.ClientId, StringComparison.Ordinal);
        var (body, releasedFields) = mayRelease
            ? await PrepareBodyAsync(client, head.ResidentId, new ReleaseContent(releaseId, consentId, "", purpose, policy.Version, now, from, to, []), asked, encryptionKey, ngsiLd, cancellationToken)
            : ([], []);
        var actor = AuditActor.Client(client.ClientId);
        var prepared = new PreparedRelease(
            new ReleaseQuestion(consentId, head.Version, new ReleaseAsk(client.ClientId, purpose, asked, from, to)),
            new DataReleased(actor, head.ResidentId, consentId, client.ClientId, purpose, releaseId, [.. asked.Select(a => a.Category)], releasedFields),
            code => new DataReleaseRefused(actor, head.ResidentId, client.ClientId, purpose, code));
        var decision = await decisions.CommitAsync(prepared, cancellationToken);
        if (decision.Allowed && !mayRelease)
        {
            throw new InvalidOperationException("A consent allowed a release it was not prepared for.");
        }

        return decision == ReleaseDecision.Stale ? null
            : decision.Allowed ? new ReleaseOutcome(body, releaseId, null)
            : ReleaseOutcome.Refused(decision.Refusal!);
    }

    /// <summary>The body to send if the release is allowed, and the <c>category.field</c> names it holds.</summary>
    private async Task<(byte[] Body, string[] ReleasedFields)> PrepareBodyAsync(
        Client client, Guid residentId, ReleaseContent header, List<RequestedCategory> asked, JsonWebKey? encryptionKey, bool ngsiLd,
        CancellationToken cancellationToken)
    {
        var records = new List<ReleasedRecord>();
        var releasedFields = new SortedSet<string>(StringComparer.Ordinal);
        var allowed = asked.ToDictionary(a => a.Category,
            a => policy.AllowedFields(header.Purpose, a.Category).Intersect(a.Fields, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var decrypted = await vault.GetAllAsync(db, residentId, allowed.Keys, cancellationToken);
        try
        {
            foreach (var category in asked)
            {
                foreach (var record in decrypted.Where(r => r.CategoryId == category.Category))
                {
                    using var json = record.ParseJson();
                    var dataDate = DataDate(category.Category, json.RootElement) ?? record.CreatedAt;
                    if ((header.DataFrom is { } f && dataDate < f) || (header.DataTo is { } t && dataDate > t))
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

        var subject = await pairwise.SubjectAsync(client, residentId, cancellationToken);
        var body = ReleaseWriter.Write(header with { Subject = subject, Records = records }, ngsiLd);
        return (encryptionKey is null ? body : RecipientEncryption.Encrypt(body, encryptionKey), [.. releasedFields]);
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
