using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataTrust.Accounts;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Vault.Ingestion;
using DataTrust.Vault.Records;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Resident;

/// <summary>One record, decrypted: its fields with the policy's names; correct or delete it.</summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class RecordModel(IDbContextFactory<DataTrustDbContext> contexts, ResidentRecords records, DataUsePolicy policy) : ResidentPage
{
    public RecordView? Record { get; private set; }

    public DataCategory? Category { get; private set; }

    public IReadOnlyList<FieldProblem> Problems { get; private set; } = [];

    [TempData]
    public string? Done { get; set; }

    public static string Display(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
    }

    /// <summary>The form sends every field as text; only the ones that differ from the stored value are corrected.</summary>
    public async Task<IActionResult> OnPostCorrectAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken) || Category is null)
        {
            return NotFound();
        }

        var changes = new JsonObject();
        foreach (var field in Category.Fields)
        {
            var text = Request.Form[$"field.{field.Id}"].ToString();
            var current = Record!.Fields.FirstOrDefault(f => f.Id == field.Id);
            if (text.Length == 0 || (current is not null && Display(current.Value) == text))
            {
                continue;
            }

            changes[field.Id] = ToJson(field.Type, text);
        }

        if (changes.Count == 0)
        {
            return RedirectToPage(new { id });
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var problems = await records.CorrectAsync(db, ResidentId, id, JsonSerializer.SerializeToElement(changes), cancellationToken);
        if (problems is null)
        {
            return NotFound();
        }

        if (problems.Count > 0)
        {
            Problems = problems;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        Done = Localization.Text.T("訂正しました。", "The record was corrected.");
        return RedirectToPage(new { id });
    }

    public async Task<IActionResult> OnPostDeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await records.DeleteAsync(db, ResidentId, id, cancellationToken))
        {
            return NotFound();
        }

        TempData[nameof(RecordsModel.Done)] = Localization.Text.T("データを削除しました。", "The record was deleted.");
        return Redirect("/resident/records");
    }

    public string FieldName(string id) => Category?.FindField(id) is { } field ? Local(field.Name) : id;

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Record = await records.ReadAsync(db, ResidentId, id, cancellationToken);
        Category = Record is null ? null : policy.FindCategory(Record.Category);
        return Record is not null;
    }

    /// <summary>The typed JSON value a form's text stands for; text that does not parse stays a string, and validation names the field.</summary>
    private static JsonValue ToJson(FieldType type, string text) => type switch
    {
        FieldType.Integer when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
        FieldType.Decimal when decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
        FieldType.Boolean when bool.TryParse(text, out var flag) => JsonValue.Create(flag),
        _ => JsonValue.Create(text),
    };
}
