using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Vault.Ingestion;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Links;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Vault.Records;

/// <summary>
/// What a resident can do with their own records (portal pages and <c>/api/me/records</c>): list, read with the
/// policy's field names, correct (validated like a deposit), delete, and export everything as JSON. Changes and
/// exports are audited in the same transaction.
/// </summary>
internal sealed class ResidentRecords(VaultStore vault, DataUsePolicy policy, IAuditLog audit, TimeProvider time)
{
    public static async Task<IReadOnlyList<RecordSummary>> ListAsync(DataTrustDbContext db, Guid residentId, CancellationToken cancellationToken)
    {
        var names = await ProviderNamesAsync(db, cancellationToken);
        return [.. (await VaultStore.ListAsync(db, residentId, cancellationToken: cancellationToken))
            .OrderByDescending(r => r.CreatedAt)
            .Select(r => new RecordSummary(r.Id, r.CategoryId, r.CreatedAt, r.CorrectedAt, r.ProviderId, r.ProviderId is null ? null : names.GetValueOrDefault(r.ProviderId, r.ProviderId)))];
    }

    /// <summary>One record decrypted, its fields in the category's order with their ja/en names; null when the resident has no such record.</summary>
    public async Task<RecordView?> ReadAsync(DataTrustDbContext db, Guid residentId, Guid recordId, CancellationToken cancellationToken)
    {
        using var record = await vault.GetAsync(db, residentId, recordId, cancellationToken);
        if (record is null)
        {
            return null;
        }

        using var json = record.ParseJson();
        var category = policy.FindCategory(record.CategoryId);
        var values = json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
        var fields = new List<FieldView>();
        foreach (var field in category?.Fields ?? [])
        {
            if (values.Remove(field.Id, out var value))
            {
                fields.Add(new FieldView(field.Id, field.Name, field.Type.ToString().ToLowerInvariant(), value));
            }
        }

        fields.AddRange(values.Select(v => new FieldView(v.Key, new PolicyText(v.Key, v.Key), "unknown", v.Value)));
        var names = await ProviderNamesAsync(db, cancellationToken);
        return new RecordView(record.Id, record.CategoryId, category?.Name ?? new PolicyText(record.CategoryId, record.CategoryId),
            record.CreatedAt, record.CorrectedAt, record.ProviderId, record.ProviderId is null ? null : names.GetValueOrDefault(record.ProviderId, record.ProviderId), fields);
    }

    /// <summary>
    /// Applies the given field values over the record's current ones (only the fields named change), validated
    /// against the category; null when the resident has no such record, otherwise the problems (empty on success).
    /// </summary>
    public async Task<IReadOnlyList<FieldProblem>?> CorrectAsync(DataTrustDbContext db, Guid residentId, Guid recordId, JsonElement changes, CancellationToken cancellationToken)
    {
        if (changes.ValueKind != JsonValueKind.Object)
        {
            return [new("fields", "must be a JSON object of field ids and values")];
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        JsonObject merged;
        string categoryId;
        using (var record = await vault.GetAsync(db, residentId, recordId, cancellationToken))
        {
            if (record is null)
            {
                return null;
            }

            categoryId = record.CategoryId;
            merged = JsonNode.Parse(record.Utf8Json.Span)!.AsObject();
        }

        if (policy.FindCategory(categoryId) is not { } category)
        {
            return [new("category", "is no longer in the policy: this record can be deleted but not corrected")];
        }

        var problems = RecordFields.Check(category, changes);
        if (problems.Count > 0)
        {
            return problems;
        }

        var changed = new List<string>();
        foreach (var property in changes.EnumerateObject())
        {
            merged[property.Name] = JsonNode.Parse(property.Value.GetRawText());
            changed.Add(property.Name);
        }

        var payload = Encoding.UTF8.GetBytes(merged.ToJsonString(ExportJsonCompact));
        try
        {
            await vault.ReplaceAsync(db, residentId, recordId, payload, cancellationToken);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }

        var actor = AuditActor.Resident(residentId);
        await audit.AppendAsync(db, [.. ResidentDataKeys.TakeCreated(db, actor), new RecordCorrected(actor, residentId, recordId, categoryId, changed)], cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return [];
    }

    /// <summary>False when the resident has no such record.</summary>
    public async Task<bool> DeleteAsync(DataTrustDbContext db, Guid residentId, Guid recordId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var category = await db.Set<Storage.VaultRecord>().Where(r => r.Id == recordId && r.ResidentId == residentId)
            .Select(r => r.CategoryId).FirstOrDefaultAsync(cancellationToken);
        if (category is null || !await VaultStore.DeleteAsync(db, residentId, recordId, cancellationToken))
        {
            return false;
        }

        await audit.AppendAsync(db, new RecordDeleted(AuditActor.Resident(residentId), residentId, recordId, category, RecordDeleted.ByResident), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Everything the vault holds about the resident, machine-readable (data portability): every record with its
    /// values, the provider links with their link ids and storage-consent history. Audited.
    /// </summary>
    public async Task<byte[]> ExportAsync(DataTrustDbContext db, Guid residentId, CancellationToken cancellationToken)
    {
        var records = new JsonArray();
        foreach (var summary in await VaultStore.ListAsync(db, residentId, cancellationToken: cancellationToken))
        {
            using var record = await vault.GetAsync(db, residentId, summary.Id, cancellationToken);
            if (record is null)
            {
                continue;
            }

            records.Add(new JsonObject
            {
                ["id"] = record.Id,
                ["category"] = record.CategoryId,
                ["schemaVersion"] = record.SchemaVersion,
                ["provider"] = record.ProviderId,
                ["storedAt"] = record.CreatedAt,
                ["correctedAt"] = record.CorrectedAt,
                ["fields"] = JsonNode.Parse(record.Utf8Json.Span),
            });
        }

        var links = new JsonArray();
        foreach (var link in await ProviderLinks.ListAsync(db, residentId, cancellationToken))
        {
            links.Add(new JsonObject
            {
                ["provider"] = link.ProviderId,
                ["linkId"] = link.LinkId,
                ["linkedAt"] = link.LinkedAt,
                ["storageConsent"] = new JsonArray([.. link.Categories.Select(c => (JsonNode)new JsonObject
                {
                    ["category"] = c.CategoryId,
                    ["given"] = c.Given,
                    ["version"] = c.Version,
                    ["decidedAt"] = c.DecidedAt,
                })]),
            });
        }

        var export = new JsonObject
        {
            ["format"] = "datatrust-vault-export/1",
            ["exportedAt"] = time.GetUtcNow(),
            ["policyVersion"] = policy.Version,
            ["providerLinks"] = links,
            ["records"] = records,
        };

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await audit.AppendAsync(db, new RecordsExported(AuditActor.Resident(residentId), residentId, records.Count), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return JsonSerializer.SerializeToUtf8Bytes(export, ExportJson);
    }

    private static Task<Dictionary<string, string>> ProviderNamesAsync(DataTrustDbContext db, CancellationToken cancellationToken) =>
        db.Set<Client>().AsNoTracking().ToDictionaryAsync(c => c.ClientId, c => c.DisplayName, StringComparer.Ordinal, cancellationToken);

    private static readonly JsonSerializerOptions ExportJsonCompact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions ExportJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

internal sealed record RecordSummary(Guid Id, string Category, DateTimeOffset StoredAt, DateTimeOffset? CorrectedAt, string? Provider, string? ProviderName);

internal sealed record FieldView(string Id, PolicyText Name, string Type, JsonElement Value);

internal sealed record RecordView(
    Guid Id, string Category, PolicyText CategoryName, DateTimeOffset StoredAt, DateTimeOffset? CorrectedAt, string? Provider, string? ProviderName, IReadOnlyList<FieldView> Fields);
