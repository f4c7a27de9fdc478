using DataTrust.Policies;

namespace DataTrust.Consent;

/// <summary>The live state of one consent and its recipient, as read under the consent's row lock.</summary>
internal sealed record ConsentSnapshot(
    Guid ConsentId,
    string ClientId,
    ConsentState State,
    RecipientStatus RecipientStatus,
    string PurposeId,
    IReadOnlyList<RequestedCategory> Categories,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? DataFrom,
    DateTimeOffset? DataTo,
    AccessMode AccessMode,
    int? MaxReleasesPerPeriod,
    IsoDuration? FrequencyPeriod,
    int ReleaseCount,
    DateTimeOffset? PeriodStartedAt,
    int ReleasesInPeriod);

/// <summary>What a recipient asks to receive under a consent: purpose, categories with fields, and the period the data was recorded in.</summary>
public sealed record ReleaseAsk(string ClientId, string PurposeId, IReadOnlyList<RequestedCategory> Data, DateTimeOffset? DataFrom, DateTimeOffset? DataTo);

/// <summary>Allowed, or refused with one of the <see cref="ReleaseRefusal"/> codes.</summary>
public sealed record ReleaseDecision(bool Allowed, string? Refusal)
{
    public static ReleaseDecision Allow { get; } = new(true, null);

    public static ReleaseDecision Refuse(string code) => new(false, code);
}

/// <summary>Why a release was refused (the codes the brokering API and the audit log use).</summary>
public static class ReleaseRefusal
{
    public const string NoConsent = "no_consent";
    public const string Revoked = "revoked";
    public const string Paused = "paused";
    public const string Expired = "expired";
    public const string OutsideRange = "outside_range";
    public const string FrequencyExceeded = "frequency_exceeded";
    public const string RecipientSuspended = "recipient_suspended";
    public const string CategoryNotCovered = "category_not_covered";
    public const string PurposeMismatch = "purpose_mismatch";
    public const string OneTimeSpent = "one_time_spent";
}

/// <summary>
/// The release decision (promise 1) as a pure function of the consent's live state, the ask and the
/// instant: no I/O, so it is tested exhaustively. <see cref="ConsentLedger.AuthorizeReleaseAsync"/>
/// feeds it under the consent's row lock and counts the use.
/// </summary>
internal static class ReleasePolicy
{
    public static ReleaseDecision Decide(ConsentSnapshot? consent, ReleaseAsk ask, DateTimeOffset now)
    {
        // A consent of another recipient is, to this recipient, no consent at all.
        if (consent is null || !string.Equals(consent.ClientId, ask.ClientId, StringComparison.Ordinal))
        {
            return ReleaseDecision.Refuse(ReleaseRefusal.NoConsent);
        }

        if (consent.RecipientStatus != RecipientStatus.Approved)
        {
            return ReleaseDecision.Refuse(ReleaseRefusal.RecipientSuspended);
        }

        switch (consent.State)
        {
            case ConsentState.Withdrawn:
                return ReleaseDecision.Refuse(ReleaseRefusal.Revoked);
            case ConsentState.Paused:
                return ReleaseDecision.Refuse(ReleaseRefusal.Paused);
            case ConsentState.Expired:
                return ReleaseDecision.Refuse(ReleaseRefusal.Expired);
            case ConsentState.Given:
                break;
            default:
                return ReleaseDecision.Refuse(ReleaseRefusal.NoConsent);
        }

        if (consent.ExpiresAt is { } expiresAt && now >= expiresAt)
        {
            return ReleaseDecision.Refuse(ReleaseRefusal.Expired);
        }

        if (!string.Equals(consent.PurposeId, ask.PurposeId, StringComparison.Ordinal))
        {
            return ReleaseDecision.Refuse(ReleaseRefusal.PurposeMismatch);
        }

        if (ask.Data.Count == 0 || !ask.Data.All(asked => Covers(consent.Categories, asked)))
        {
            return ReleaseDecision.Refuse(ReleaseRefusal.CategoryNotCovered);
        }

        if (!WithinRange(consent, ask))
        {
            return ReleaseDecision.Refuse(ReleaseRefusal.OutsideRange);
        }

        if (consent.AccessMode == AccessMode.OneTime)
        {
            return consent.ReleaseCount > 0 ? ReleaseDecision.Refuse(ReleaseRefusal.OneTimeSpent) : ReleaseDecision.Allow;
        }

        return ReleasesInCurrentPeriod(consent, now) >= (consent.MaxReleasesPerPeriod ?? 0)
            ? ReleaseDecision.Refuse(ReleaseRefusal.FrequencyExceeded)
            : ReleaseDecision.Allow;
    }

    /// <summary>The counters after one more release at <paramref name="now"/>: a new period starts when the last one has run out.</summary>
    public static (DateTimeOffset PeriodStartedAt, int ReleasesInPeriod) CountRelease(ConsentSnapshot consent, DateTimeOffset now) =>
        InCurrentPeriod(consent, now) ? (consent.PeriodStartedAt!.Value, consent.ReleasesInPeriod + 1) : (now, 1);

    private static int ReleasesInCurrentPeriod(ConsentSnapshot consent, DateTimeOffset now) => InCurrentPeriod(consent, now) ? consent.ReleasesInPeriod : 0;

    private static bool InCurrentPeriod(ConsentSnapshot consent, DateTimeOffset now) =>
        consent.PeriodStartedAt is { } start && consent.FrequencyPeriod is { } period && now < period.AddTo(start);

    private static bool Covers(IReadOnlyList<RequestedCategory> covered, RequestedCategory asked)
    {
        var category = covered.FirstOrDefault(c => string.Equals(c.Category, asked.Category, StringComparison.Ordinal));
        return category is not null && asked.Fields.Count > 0 && asked.Fields.All(f => category.Fields.Contains(f, StringComparer.Ordinal));
    }

    private static bool WithinRange(ConsentSnapshot consent, ReleaseAsk ask)
    {
        if (ask.DataFrom is { } from && ask.DataTo is { } to && from > to)
        {
            return false;
        }

        if (consent.DataFrom is { } consentFrom && (ask.DataFrom is not { } askFrom || askFrom < consentFrom))
        {
            return false;
        }

        return consent.DataTo is not { } consentTo || (ask.DataTo is { } askTo && askTo <= consentTo);
    }
}
