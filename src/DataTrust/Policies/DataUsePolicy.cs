using System.Collections.Frozen;
using System.Collections.Immutable;

namespace DataTrust.Policies;

/// <summary>
/// The loaded, validated data-use policy (the <c>policies/</c> folder). Immutable: a policy change
/// takes effect on the next start, under a new <see cref="Version"/>.
/// </summary>
internal sealed class DataUsePolicy
{
    private readonly FrozenDictionary<string, Purpose> _purposes;
    private readonly FrozenDictionary<string, DataCategory> _categories;
    private readonly FrozenDictionary<string, MinimisationRule> _rules;

    public DataUsePolicy(
        string version,
        PolicySettings settings,
        ImmutableArray<Purpose> purposes,
        ImmutableArray<DataCategory> categories,
        ImmutableArray<MinimisationRule> minimisationRules,
        ImmutableArray<RecipientCriterion> recipientCriteria)
    {
        Version = version;
        Settings = settings;
        Purposes = purposes;
        Categories = categories;
        MinimisationRules = minimisationRules;
        RecipientCriteria = recipientCriteria;
        _purposes = purposes.ToFrozenDictionary(p => p.Id, StringComparer.Ordinal);
        _categories = categories.ToFrozenDictionary(c => c.Id, StringComparer.Ordinal);
        _rules = minimisationRules.ToFrozenDictionary(r => r.PurposeId, StringComparer.Ordinal);
    }

    /// <summary><c>sha256:&lt;hex&gt;</c> over the policy files; recorded with every decision made under this policy.</summary>
    public string Version { get; }

    public PolicySettings Settings { get; }

    public string VersionLabel => Settings.VersionLabel;

    public int StatisticsMinimumGroupSize => Settings.StatisticsMinimumGroupSize;

    public ImmutableArray<Purpose> Purposes { get; }

    public ImmutableArray<DataCategory> Categories { get; }

    public ImmutableArray<MinimisationRule> MinimisationRules { get; }

    public ImmutableArray<RecipientCriterion> RecipientCriteria { get; }

    public Purpose? FindPurpose(string purposeId) => _purposes.GetValueOrDefault(purposeId);

    public DataCategory? FindCategory(string categoryId) => _categories.GetValueOrDefault(categoryId);

    /// <summary>The fields of a category that a purpose may receive; empty when it may receive none.</summary>
    public ImmutableArray<string> AllowedFields(string purposeId, string categoryId)
    {
        var allowance = _rules.GetValueOrDefault(purposeId)?.Allowed
            .FirstOrDefault(a => string.Equals(a.CategoryId, categoryId, StringComparison.Ordinal));
        return allowance?.FieldIds ?? [];
    }

    /// <summary>
    /// Whether a category holds special-care personal information (要配慮個人情報). A category the
    /// policy does not know counts as special-care, so a caller's mistake errs on the side of care.
    /// </summary>
    public bool IsSpecialCare(string categoryId) => FindCategory(categoryId) is not { Sensitivity: Sensitivity.Normal };

    /// <summary>The criteria a recipient must meet, with the special-care ones when it is to receive special-care data.</summary>
    public IEnumerable<RecipientCriterion> CriteriaFor(bool receivesSpecialCareData) =>
        RecipientCriteria.Where(c => c.AppliesTo == CriterionScope.AllRecipients || receivesSpecialCareData);
}
