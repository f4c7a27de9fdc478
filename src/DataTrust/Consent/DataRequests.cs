using System.Text.Json;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Consent;

public sealed record LocalizedText(string? Ja, string? En);

/// <summary>A data request as a recipient writes it. <c>AccessMode</c> is <c>one-time</c> or <c>periodic</c>.</summary>
public sealed record DataRequestInput(
    string? PurposeId,
    IReadOnlyList<RequestedCategory>? Categories,
    string? Duration,
    string? AccessMode,
    int? MaxReleasesPerPeriod,
    string? FrequencyPeriod,
    DateTimeOffset? DataFrom,
    DateTimeOffset? DataTo,
    LocalizedText? Benefit,
    LocalizedText? Explanation);

/// <summary>The ethics board's decision on a submitted request: <c>approve</c> or <c>reject</c>.</summary>
public sealed record DataRequestReviewInput(string? Decision, bool SensitiveDataApproved, IReadOnlyList<string>? Reasons);

public sealed record DataRequestReviewView(string Decision, bool SensitiveDataApproved, IReadOnlyList<string> Reasons, DateTimeOffset ReviewedAt);

public sealed record DataRequestView(
    Guid Id,
    string ClientId,
    string PurposeId,
    IReadOnlyList<RequestedCategory> Categories,
    string Duration,
    string AccessMode,
    int? MaxReleasesPerPeriod,
    string? FrequencyPeriod,
    DateTimeOffset? DataFrom,
    DateTimeOffset? DataTo,
    LocalizedText Benefit,
    LocalizedText Explanation,
    string State,
    bool SpecialCare,
    string PolicyVersion,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<DataRequestReviewView> Reviews)
{
    internal static DataRequestView From(DataRequest r, IReadOnlyList<DataRequestReview> reviews) => new(
        r.Id, r.ClientId, r.PurposeId, DataRequests.Categories(r.Categories), r.Duration, DataRequests.AccessModeName(r.AccessMode), r.MaxReleasesPerPeriod, r.FrequencyPeriod,
        r.DataFrom, r.DataTo, new LocalizedText(r.BenefitJa, r.BenefitEn), new LocalizedText(r.ExplanationJa, r.ExplanationEn), DataRequests.StateName(r.State), r.SpecialCare,
        r.PolicyVersion, r.CreatedAt, r.UpdatedAt,
        [.. reviews.Select(v => new DataRequestReviewView(v.Decision, v.SensitiveDataApproved, JsonSerializer.Deserialize<List<string>>(v.Reasons)!, v.ReviewedAt))]);
}

/// <summary>
/// Data requests: an approved recipient drafts, updates, submits and withdraws them; the ethics board
/// approves (publishes) or rejects submitted ones. Every request is checked against the policy: the
/// purpose exists, each field is allowed by the purpose's minimisation rule, the duration is within the
/// purpose's maximum, special-care categories only under purposes that allow them.
/// </summary>
internal sealed class DataRequests(DataTrustDbContext db, DataUsePolicy policy, IAuditLog audit, TimeProvider clock)
{
    public async Task<DataRequestView> CreateDraftAsync(string clientId, DataRequestInput input, CancellationToken cancellationToken)
    {
        await RequireApprovedAsync(clientId, cancellationToken);
        var request = new DataRequest { Id = Guid.CreateVersion7(), ClientId = clientId, State = DataRequestState.Draft, CreatedAt = clock.GetUtcNow() };
        Apply(request, input);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Add(request);
        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new DataRequestChanged(AuditActor.Client(clientId), clientId, request.Id, request.PurposeId, "drafted"), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return DataRequestView.From(request, []);
    }

    public async Task<DataRequestView> UpdateDraftAsync(string clientId, Guid id, DataRequestInput input, CancellationToken cancellationToken)
    {
        await RequireApprovedAsync(clientId, cancellationToken);
        return await ChangeOwnAsync(clientId, id, [DataRequestState.Draft], "updated", r => Apply(r, input), cancellationToken);
    }

    public async Task<DataRequestView> SubmitAsync(string clientId, Guid id, CancellationToken cancellationToken)
    {
        await RequireApprovedAsync(clientId, cancellationToken);
        return await ChangeOwnAsync(clientId, id, [DataRequestState.Draft], "submitted", r =>
        {
            // The policy may have changed since the draft was written.
            Apply(r, Input(r));
            r.State = DataRequestState.Submitted;
        }, cancellationToken);
    }

    public Task<DataRequestView> WithdrawAsync(string clientId, Guid id, CancellationToken cancellationToken) =>
        ChangeOwnAsync(clientId, id, [DataRequestState.Draft, DataRequestState.Submitted, DataRequestState.Approved], "withdrawn", r => r.State = DataRequestState.Withdrawn, cancellationToken);

    public async Task<IReadOnlyList<DataRequestView>> ListOwnAsync(string clientId, CancellationToken cancellationToken) =>
        await ViewsAsync(db.Set<DataRequest>().Where(r => r.ClientId == clientId), cancellationToken);

    public async Task<DataRequestView> GetOwnAsync(string clientId, Guid id, CancellationToken cancellationToken) =>
        (await ViewsAsync(db.Set<DataRequest>().Where(r => r.ClientId == clientId && r.Id == id), cancellationToken)).SingleOrDefault() ?? throw NotFound(id);

    /// <summary>Requests residents can consent to now: approved, from an approved recipient.</summary>
    public async Task<IReadOnlyList<DataRequestView>> ListPublishedAsync(CancellationToken cancellationToken) =>
        await ViewsAsync(
            db.Set<DataRequest>().Where(r => r.State == DataRequestState.Approved
                && db.Set<Recipient>().Any(p => p.ClientId == r.ClientId && p.Status == RecipientStatus.Approved)),
            cancellationToken);

    /// <summary>The board's queue; all requests in <paramref name="state"/> (default: submitted).</summary>
    public async Task<IReadOnlyList<DataRequestView>> ListAsync(string? state, CancellationToken cancellationToken)
    {
        var wanted = state is null ? DataRequestState.Submitted : ParseState(state);
        return await ViewsAsync(db.Set<DataRequest>().Where(r => r.State == wanted), cancellationToken);
    }

    public async Task<DataRequestView> GetAsync(Guid id, CancellationToken cancellationToken) =>
        (await ViewsAsync(db.Set<DataRequest>().Where(r => r.Id == id), cancellationToken)).SingleOrDefault() ?? throw NotFound(id);

    public async Task<DataRequestView> ReviewAsync(Guid id, DataRequestReviewInput input, AuditActor reviewer, CancellationToken cancellationToken)
    {
        var approve = input.Decision switch
        {
            "approve" or "approved" => true,
            "reject" or "rejected" => false,
            _ => throw ConsentException.Invalid("decision_invalid", "decision must be 'approve' or 'reject'."),
        };
        var reasons = (input.Reasons ?? []).Select(r => r?.Trim() ?? "").Where(r => r.Length > 0).ToList();
        if (!approve && reasons.Count == 0)
        {
            throw ConsentException.Invalid("reasons_missing", "A rejection needs at least one reason.");
        }

        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var request = await db.Set<DataRequest>().SingleOrDefaultAsync(r => r.Id == id, cancellationToken) ?? throw NotFound(id);
        if (request.State != DataRequestState.Submitted)
        {
            throw ConsentException.Conflict("invalid_transition", $"Data request {id} is {StateName(request.State)}; only a submitted request can be reviewed.");
        }

        if (approve)
        {
            Apply(request, Input(request));
            var purpose = policy.FindPurpose(request.PurposeId)!;
            if (request.SpecialCare && !purpose.SensitiveDataAllowed)
            {
                throw ConsentException.Invalid("sensitive_not_allowed", $"Purpose '{purpose.Id}' never allows special-care (要配慮) data.");
            }

            if (request.SpecialCare && !input.SensitiveDataApproved)
            {
                throw ConsentException.Invalid("sensitive_not_approved",
                    "This request touches special-care (要配慮) categories: approving it needs an explicit sensitiveDataApproved: true.");
            }

            if (!await db.Set<Recipient>().AnyAsync(r => r.ClientId == request.ClientId && r.Status == RecipientStatus.Approved, cancellationToken))
            {
                throw ConsentException.Conflict("recipient_not_approved", $"Recipient '{request.ClientId}' is not approved: its requests cannot be published.");
            }
        }

        request.State = approve ? DataRequestState.Approved : DataRequestState.Rejected;
        request.UpdatedAt = now;
        db.Add(new DataRequestReview
        {
            DataRequestId = id,
            Decision = approve ? "approved" : "rejected",
            SensitiveDataApproved = approve && request.SpecialCare && input.SensitiveDataApproved,
            Reasons = JsonSerializer.Serialize(reasons),
            ReviewerId = reviewer.UserId ?? Guid.Empty,
            ReviewedAt = now,
        });
        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new RecipientReviewed(reviewer, request.ClientId, request.PurposeId, approve ? "approved" : "rejected",
            DataRequestId: id, SensitiveDataApproved: request.SpecialCare ? input.SensitiveDataApproved : null), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await GetAsync(id, cancellationToken);
    }

    internal static IReadOnlyList<RequestedCategory> Categories(string json) => JsonSerializer.Deserialize<List<RequestedCategory>>(json, JsonSerializerOptions.Web)!;

    internal static string StateName(DataRequestState state) => state.ToString().ToLowerInvariant();

    internal static string AccessModeName(AccessMode mode) => mode == AccessMode.OneTime ? "one-time" : "periodic";

    /// <summary>Whether duration <paramref name="a"/> is at most <paramref name="b"/> (counted from a fixed day).</summary>
    internal static bool AtMost(IsoDuration a, IsoDuration b)
    {
        var reference = new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);
        return a.AddTo(reference) <= b.AddTo(reference);
    }

    private static DataRequestState ParseState(string state) => state switch
    {
        "draft" => DataRequestState.Draft,
        "submitted" => DataRequestState.Submitted,
        "approved" => DataRequestState.Approved,
        "rejected" => DataRequestState.Rejected,
        "withdrawn" => DataRequestState.Withdrawn,
        _ => throw ConsentException.Invalid("state_invalid", "state is one of draft, submitted, approved, rejected, withdrawn."),
    };

    private static ConsentException NotFound(Guid id) => ConsentException.NotFound("data request", $"No data request {id} is visible to you.");

    private static DataRequestInput Input(DataRequest r) => new(
        r.PurposeId, Categories(r.Categories), r.Duration, AccessModeName(r.AccessMode), r.MaxReleasesPerPeriod, r.FrequencyPeriod, r.DataFrom, r.DataTo,
        new LocalizedText(r.BenefitJa, r.BenefitEn), new LocalizedText(r.ExplanationJa, r.ExplanationEn));

    private async Task RequireApprovedAsync(string clientId, CancellationToken cancellationToken)
    {
        var status = await db.Set<Recipient>().AsNoTracking().Where(r => r.ClientId == clientId).Select(r => (RecipientStatus?)r.Status).SingleOrDefaultAsync(cancellationToken);
        if (status != RecipientStatus.Approved)
        {
            throw ConsentException.Forbidden("recipient_not_approved",
                status is null ? $"Client '{clientId}' is not registered as a data recipient." : $"Recipient '{clientId}' is {RecipientAdministration.Name(status.Value)}, not approved: it cannot publish data requests.");
        }
    }

    private async Task<DataRequestView> ChangeOwnAsync(string clientId, Guid id, DataRequestState[] from, string change, Action<DataRequest> apply, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var request = await db.Set<DataRequest>().SingleOrDefaultAsync(r => r.Id == id && r.ClientId == clientId, cancellationToken) ?? throw NotFound(id);
        if (!from.Contains(request.State))
        {
            throw ConsentException.Conflict("invalid_transition", $"Data request {id} is {StateName(request.State)}; it cannot be {change} now.");
        }

        apply(request);
        request.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new DataRequestChanged(AuditActor.Client(clientId), clientId, id, request.PurposeId, change), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await GetOwnAsync(clientId, id, cancellationToken);
    }

    private async Task<IReadOnlyList<DataRequestView>> ViewsAsync(IQueryable<DataRequest> query, CancellationToken cancellationToken)
    {
        var requests = await query.AsNoTracking().OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken);
        var ids = requests.Select(r => r.Id).ToList();
        var reviews = await db.Set<DataRequestReview>().AsNoTracking().Where(v => ids.Contains(v.DataRequestId)).OrderBy(v => v.Id).ToListAsync(cancellationToken);
        return [.. requests.Select(r => DataRequestView.From(r, [.. reviews.Where(v => v.DataRequestId == r.Id)]))];
    }

    /// <summary>Checks the input against the policy and writes it to <paramref name="request"/>; throws with the first problem.</summary>
    private void Apply(DataRequest request, DataRequestInput input)
    {
        var purpose = policy.FindPurpose(input.PurposeId ?? "")
            ?? throw ConsentException.Invalid("purpose_unknown", $"Purpose '{input.PurposeId}' is not in the policy's catalogue (GET /api/policy lists them).");
        var categories = input.Categories ?? [];
        if (categories.Count == 0)
        {
            throw ConsentException.Invalid("categories_missing", "Name at least one category with its fields.");
        }

        if (categories.Select(c => c.Category).Distinct(StringComparer.Ordinal).Count() != categories.Count)
        {
            throw ConsentException.Invalid("category_repeated", "Name each category once.");
        }

        foreach (var category in categories)
        {
            if (policy.FindCategory(category.Category ?? "") is null)
            {
                throw ConsentException.Invalid("category_unknown", $"Category '{category.Category}' is not in the policy.");
            }

            if (category.Fields is not { Count: > 0 })
            {
                throw ConsentException.Invalid("fields_missing", $"Name the fields of category '{category.Category}' you need.");
            }

            var allowed = policy.AllowedFields(purpose.Id, category.Category!);
            var refused = category.Fields.Where(f => !allowed.Contains(f, StringComparer.Ordinal)).ToList();
            if (refused.Count > 0)
            {
                throw ConsentException.Invalid("field_not_allowed",
                    $"Purpose '{purpose.Id}' may not receive {string.Join(", ", refused.Select(f => category.Category + "." + f))} (policies/minimisation.yaml).");
            }
        }

        var specialCare = categories.Any(c => policy.IsSpecialCare(c.Category));
        if (specialCare && !purpose.SensitiveDataAllowed)
        {
            throw ConsentException.Invalid("sensitive_not_allowed", $"Purpose '{purpose.Id}' never allows special-care (要配慮) data.");
        }

        if (input.Duration is null || !IsoDuration.TryParse(input.Duration, out var duration))
        {
            throw ConsentException.Invalid("duration_invalid", "duration is an ISO 8601 duration in years, months and days, e.g. P6M.");
        }

        if (!AtMost(duration, purpose.MaxConsentDuration))
        {
            throw ConsentException.Invalid("duration_too_long", $"duration {duration} is longer than purpose '{purpose.Id}' allows ({purpose.MaxConsentDuration}).");
        }

        var mode = input.AccessMode switch
        {
            "one-time" => AccessMode.OneTime,
            "periodic" => AccessMode.Periodic,
            _ => throw ConsentException.Invalid("access_mode_invalid", "accessMode is 'one-time' or 'periodic'."),
        };
        string? period = null;
        int? maxReleases = null;
        if (mode == AccessMode.Periodic)
        {
            if (input.MaxReleasesPerPeriod is not (>= 1 and <= 10000) || input.FrequencyPeriod is null || !IsoDuration.TryParse(input.FrequencyPeriod, out var parsedPeriod))
            {
                throw ConsentException.Invalid("frequency_invalid", "Periodic access needs maxReleasesPerPeriod (1 to 10000) and frequencyPeriod (ISO 8601, e.g. P1M).");
            }

            period = parsedPeriod.ToString();
            maxReleases = input.MaxReleasesPerPeriod;
        }
        else if (input.MaxReleasesPerPeriod is not null || input.FrequencyPeriod is not null)
        {
            throw ConsentException.Invalid("frequency_invalid", "One-time access takes no frequency.");
        }

        if (input.DataFrom is { } from && input.DataTo is { } to && from >= to)
        {
            throw ConsentException.Invalid("data_range_invalid", "dataFrom must be before dataTo.");
        }

        var benefit = Text(input.Benefit, "benefit");
        var explanation = Text(input.Explanation, "explanation");
        request.PurposeId = purpose.Id;
        request.Categories = JsonSerializer.Serialize(categories.Select(c => new RequestedCategory(c.Category, [.. c.Fields.Distinct(StringComparer.Ordinal)])).ToList(), JsonSerializerOptions.Web);
        request.Duration = duration.ToString();
        request.AccessMode = mode;
        request.MaxReleasesPerPeriod = maxReleases;
        request.FrequencyPeriod = period;
        request.DataFrom = input.DataFrom?.ToUniversalTime();
        request.DataTo = input.DataTo?.ToUniversalTime();
        (request.BenefitJa, request.BenefitEn) = benefit;
        (request.ExplanationJa, request.ExplanationEn) = explanation;
        request.SpecialCare = specialCare;
        request.PolicyVersion = policy.Version;
        request.UpdatedAt = clock.GetUtcNow();
    }

    private static (string Ja, string En) Text(LocalizedText? text, string name)
    {
        var ja = text?.Ja?.Trim() ?? "";
        var en = text?.En?.Trim() ?? "";
        if (ja.Length is 0 or > 4000 || en.Length is 0 or > 4000)
        {
            throw ConsentException.Invalid(name + "_missing", $"{name} needs both ja and en text (at most 4000 characters each).");
        }

        return (ja, en);
    }
}
