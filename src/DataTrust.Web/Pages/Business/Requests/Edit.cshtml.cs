using DataTrust.Consent;
using DataTrust.Policies;
using Microsoft.AspNetCore.Mvc;

namespace DataTrust.Web.Pages.Business.Requests;

/// <summary>
/// <c>/business/requests/edit[/{id}]</c>: writes a new draft, or changes a draft. The consent capability's
/// checks decide (purpose, minimised fields, duration, frequency, both languages); a refusal keeps what was typed.
/// </summary>
internal sealed class EditModel(DataRequests requests, DataUsePolicy policy) : BusinessPage
{
    private static readonly Dictionary<string, string> FieldOf = new(StringComparer.Ordinal)
    {
        ["purpose_unknown"] = "purpose",
        ["categories_missing"] = "fields", ["category_repeated"] = "fields", ["category_unknown"] = "fields", ["fields_missing"] = "fields",
        ["field_not_allowed"] = "fields", ["sensitive_not_allowed"] = "fields",
        ["duration_invalid"] = "duration", ["duration_too_long"] = "duration",
        ["access_mode_invalid"] = "mode-one-time", ["frequency_invalid"] = "maxReleases", ["data_range_invalid"] = "duration",
        ["benefit_missing"] = "benefitJa", ["explanation_missing"] = "explanationJa",
    };

    public DataUsePolicy Policy => policy;

    public Guid? Id { get; private set; }

    [BindProperty]
    public string? Purpose { get; set; }

    /// <summary>Requested fields as <c>category.field</c>.</summary>
    [BindProperty]
    public List<string> Fields { get; set; } = [];

    [BindProperty]
    public string? Duration { get; set; } = "P6M";

    [BindProperty]
    public string? Mode { get; set; } = "one-time";

    [BindProperty]
    public int? MaxReleases { get; set; }

    [BindProperty]
    public string? Period { get; set; }

    [BindProperty]
    public string? BenefitJa { get; set; }

    [BindProperty]
    public string? BenefitEn { get; set; }

    [BindProperty]
    public string? ExplanationJa { get; set; }

    [BindProperty]
    public string? ExplanationEn { get; set; }

    public async Task<IActionResult> OnGetAsync(Guid? id, CancellationToken cancellationToken)
    {
        if (id is not { } existing)
        {
            return Page();
        }

        DataRequestView request;
        try
        {
            request = await requests.GetOwnAsync(ClientId, existing, cancellationToken);
        }
        catch (ConsentException)
        {
            return NotFound();
        }

        Id = existing;
        Purpose = request.PurposeId;
        Fields = [.. request.Categories.SelectMany(c => c.Fields.Select(f => c.Category + "." + f))];
        (Duration, Mode, MaxReleases, Period) = (request.Duration, request.AccessMode, request.MaxReleasesPerPeriod, request.FrequencyPeriod);
        (BenefitJa, BenefitEn, ExplanationJa, ExplanationEn) = (request.Benefit.Ja, request.Benefit.En, request.Explanation.Ja, request.Explanation.En);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid? id, CancellationToken cancellationToken)
    {
        Id = id;
        var categories = Fields
            .Select(f => f.Split('.', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0], StringComparer.Ordinal)
            .Select(g => new RequestedCategory(g.Key, [.. g.Select(p => p[1])]))
            .ToList();
        var periodic = Mode == "periodic";
        var input = new DataRequestInput(
            Purpose, categories, Duration?.Trim(), Mode, periodic ? MaxReleases : null, periodic ? Period?.Trim() : null, null, null,
            new LocalizedText(BenefitJa, BenefitEn), new LocalizedText(ExplanationJa, ExplanationEn));
        try
        {
            var saved = id is { } existing
                ? await requests.UpdateDraftAsync(ClientId, existing, input, cancellationToken)
                : await requests.CreateDraftAsync(ClientId, input, cancellationToken);
            return Redirect($"/business/requests/{saved.Id}");
        }
        catch (ConsentException e)
        {
            if (e.Status == StatusCodes.Status404NotFound)
            {
                return NotFound();
            }

            Refused(e, FieldOf.GetValueOrDefault(e.Code));
            return Page();
        }
    }
}
