using System.Globalization;
using DataTrust.Audit;
using DataTrust.Audit.Api;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Web.Navigation;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;

namespace DataTrust.Web.Pages.Audit;

/// <summary>
/// <c>/audit</c>: search the log with the audit API's own search (same filters, same keyset paging, recorded
/// the same way). Nothing is searched, and so nothing recorded, until the form is sent.
/// </summary>
internal sealed class IndexModel(IDbContextFactory<DataTrustDbContext> contexts, IAuditLog log, AuditPseudonyms pseudonyms, DataUsePolicy policy) : AuditPageModel
{
    public static IReadOnlyList<string> Actions { get; } = typeof(AuditAction).GetFields()
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Order(StringComparer.Ordinal).ToList();

    public string? From { get; private set; }
    public string? To { get; private set; }
    public string? ActorType { get; private set; }
    public string? ActorId { get; private set; }
    public string? Action { get; private set; }
    public string? Recipient { get; private set; }
    public string? Consent { get; private set; }
    public string? Resident { get; private set; }

    public bool Searched { get; private set; }

    public List<FieldError> Errors { get; } = [];

    public SearchAuditEntries.Page? Results { get; private set; }

    public PortalNames Names { get; private set; } = null!;

    /// <summary>The query of the next page: these filters and the last sequence number seen.</summary>
    public string? NextPageQuery { get; private set; }

    public async Task OnGetAsync(string? from, string? to, string? actorType, string? actorId, string? action, string? recipient, string? consent, string? resident, long? after, string? search, CancellationToken cancellationToken)
    {
        (From, To, ActorType, ActorId, Action, Recipient, Consent, Resident) = (Trim(from), Trim(to), Trim(actorType), Trim(actorId), Trim(action), Trim(recipient), Trim(consent), Trim(resident));
        Names = await PortalNames.LoadAsync(contexts, policy, cancellationToken);
        if (search is null)
        {
            return;
        }

        Searched = true;
        var query = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        AddDate(query, "from", From, "from", T("開始日は 2026-11-21 の形の日付にしてください。", "The start date must be a date such as 2026-11-21."));
        AddDate(query, "to", To, "to", T("終了日は 2026-11-21 の形の日付にしてください。", "The end date must be a date such as 2026-11-21."));
        Add(query, "actorType", ActorType);
        Add(query, "actorId", ActorId);
        Add(query, "action", Action);
        Add(query, "recipient", Recipient);
        if (Consent is not null && !Guid.TryParse(Consent, out _))
        {
            Errors.Add(new("consent", T("同意IDは UUID（例: 0190…-…）で入力してください。", "A consent id is a UUID, e.g. 0190…-….")));
        }

        Add(query, "consent", Consent);
        if (Resident is not null)
        {
            if (Guid.TryParse(Resident, out var account))
            {
                query["residentId"] = account.ToString("D");
            }
            else if (Resident.Length == 64 && Resident.All(char.IsAsciiHexDigit))
            {
                query["subject"] = Resident.ToLowerInvariant();
            }
            else
            {
                Errors.Add(new("resident", T("住民はアカウントID（UUID）か仮名（16進数64文字）で指定してください。", "Name the resident by account id (a UUID) or pseudonym (64 hex digits).")));
            }
        }

        if (after is { } last)
        {
            query["after"] = last.ToString(CultureInfo.InvariantCulture);
        }

        if (Errors.Count > 0)
        {
            return;
        }

        var (filters, error) = SearchAuditEntries.Parse(new QueryCollection(query));
        if (filters is null)
        {
            Errors.Add(new(null, error!));
            return;
        }

        Results = await SearchAuditEntries.SearchAsync(filters, Actor, contexts, log, pseudonyms, cancellationToken);
        if (Results.NextAfter is { } next)
        {
            var parameters = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["from"] = From, ["to"] = To, ["actorType"] = ActorType, ["actorId"] = ActorId, ["action"] = Action,
                ["recipient"] = Recipient, ["consent"] = Consent, ["resident"] = Resident, ["after"] = next.ToString(CultureInfo.InvariantCulture), ["search"] = "1",
            };
            NextPageQuery = QueryString.Create(parameters.Where(p => p.Value is not null)).Value;
        }
    }

    private static string? Trim(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static void Add(Dictionary<string, StringValues> query, string name, string? value)
    {
        if (value is not null)
        {
            query[name] = value;
        }
    }

    /// <summary>A date of the form becomes the start of that day in UTC; the end date includes its whole day.</summary>
    private void AddDate(Dictionary<string, StringValues> query, string name, string? value, string fieldId, string message)
    {
        if (value is null)
        {
            return;
        }

        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            Errors.Add(new(fieldId, message));
            return;
        }

        var day = name == "to" ? date.AddDays(1) : date;
        query[name] = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T00:00:00Z";
    }

    private static string T(string ja, string en) => Localization.Text.T(ja, en);
}
