using System.Globalization;
using System.Text.Json;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Subjects;
using DataTrust.Policies;
using DataTrust.Vault;

namespace DataTrust.Brokering;

/// <summary>
/// What one allowed release carries (promises 5 and 7): the resident's records in the asked categories and
/// period, decrypted and cut down to <c>asked ∩ consent ∩ minimisation(purpose)</c> fields, under the
/// recipient's pairwise subject id. Everything stays in memory; nothing is sent from here.
/// </summary>
internal sealed class ReleaseContents(DataUsePolicy policy, VaultStore vault, PairwiseSubjects pairwise)
{
    /// <summary>The content, and the <c>category.field</c> names it holds (for the audit entry). Throws <see cref="VaultDecryptionException"/> if a record cannot be read.</summary>
    public async Task<(ReleaseContent Content, string[] ReleasedFields)> BuildAsync(
        Client client, Guid consentId, Guid residentId, ReleaseAsk ask, IEnumerable<RecordWithKey> encrypted, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var records = new List<ReleasedRecord>();
        var releasedFields = new SortedSet<string>(StringComparer.Ordinal);
        var allowed = ask.Data.ToDictionary(a => a.Category,
            a => policy.AllowedFields(ask.PurposeId, a.Category).Intersect(a.Fields, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var decrypted = vault.Decrypt(encrypted.Where(r => allowed.ContainsKey(r.Record.CategoryId)));
        try
        {
            foreach (var category in ask.Data)
            {
                foreach (var record in decrypted.Where(r => r.CategoryId == category.Category))
                {
                    using var json = record.ParseJson();
                    var dataDate = DataDate(category.Category, json.RootElement) ?? record.CreatedAt;
                    if ((ask.DataFrom is { } f && dataDate < f) || (ask.DataTo is { } t && dataDate > t))
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
        var content = new ReleaseContent(Guid.CreateVersion7(now), consentId, subject, ask.PurposeId, policy.Version, now, ask.DataFrom, ask.DataTo, records);
        return (content, [.. releasedFields]);
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
}
