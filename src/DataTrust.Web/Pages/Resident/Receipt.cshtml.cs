using System.Text.Json;
using DataTrust.Accounts;
using DataTrust.Consent;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Web.Pages.Resident;

/// <summary><c>/resident/consents/{id}/receipts/{version}</c>: one signed receipt, print-friendly: a plain summary and the JWS itself.</summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class ReceiptModel(ConsentLedger ledger, IDbContextFactory<DataTrustDbContext> contexts, DataUsePolicy policy) : ResidentPage
{
    public ReceiptView Receipt { get; private set; } = null!;

    public ConsentText Words { get; private set; } = null!;

    public string State { get; private set; } = "";

    public string ClientId { get; private set; } = "";

    public string PurposeId { get; private set; } = "";

    public IReadOnlyList<RequestedCategory> Categories { get; private set; } = [];

    public string? Termination { get; private set; }

    public string Subject { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(Guid id, int version, CancellationToken cancellationToken)
    {
        try
        {
            var receipt = (await ledger.ReceiptsAsync(ResidentId, id, cancellationToken)).FirstOrDefault(r => r.Version == version);
            if (receipt is null)
            {
                return NotFound();
            }

            Receipt = receipt;
        }
        catch (ConsentException)
        {
            return NotFound();
        }

        // The summary is read from the signed payload itself, so it shows exactly what the signature covers.
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(Receipt.Jws.Split('.')[1]));
        var root = payload.RootElement;
        State = root.GetProperty("state").GetString() ?? "";
        ClientId = root.GetProperty("aud").GetString() ?? "";
        Subject = root.GetProperty("sub").GetString() ?? "";
        var purpose = root.GetProperty("services")[0].GetProperty("purposes")[0];
        PurposeId = purpose.GetProperty("purposeId").GetString() ?? "";
        Termination = purpose.GetProperty("termination").GetString();
        Categories = [.. purpose.GetProperty("piiFields").EnumerateArray().Select(f => new RequestedCategory(
            f.GetProperty("category").GetString() ?? "", [.. f.GetProperty("fields").EnumerateArray().Select(x => x.GetString() ?? "")]))];
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Words = await ConsentText.LoadAsync(db, policy, cancellationToken);
        return Page();
    }

    public static string Wrap(string jws) => string.Join('\n', Enumerable.Range(0, (jws.Length + 63) / 64).Select(i => jws.Substring(i * 64, Math.Min(64, jws.Length - (i * 64)))));

}
