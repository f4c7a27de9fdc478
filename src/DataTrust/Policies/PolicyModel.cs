using System.Collections.Immutable;

namespace DataTrust.Policies;

/// <summary>Plain-language text in Japanese (shown first) and English; both are always present.</summary>
internal sealed record PolicyText(string Ja, string En);

/// <summary>A purpose residents can consent to, with its limits.</summary>
/// <param name="DpvPurposes">W3C Data Privacy Vocabulary purpose IRIs, e.g. <c>https://w3id.org/dpv#ServiceOptimisation</c>.</param>
/// <param name="SensitiveDataAllowed">Whether special-care personal information (要配慮個人情報) may be used.</param>
/// <param name="AggregateOnly">Only counts over many residents are released, never one resident's records.</param>
internal sealed record Purpose(
    string Id,
    PolicyText Title,
    PolicyText Description,
    ImmutableArray<string> DpvPurposes,
    IsoDuration MaxConsentDuration,
    bool SensitiveDataAllowed,
    bool AggregateOnly);

internal enum Sensitivity
{
    Normal,

    /// <summary>要配慮個人情報 under Japan's APPI, e.g. health check-up results.</summary>
    SpecialCare,
}

internal enum FieldType
{
    String,
    Integer,
    Decimal,
    Boolean,
    Date,
    DateTime,
    Enum,
}

/// <param name="EnumValues">The allowed values of an <see cref="FieldType.Enum"/> field; empty for other types.</param>
internal sealed record DataField(string Id, PolicyText Name, FieldType Type, ImmutableArray<string> EnumValues);

/// <param name="Retention">How long a deposited record is kept, unless the resident erases it sooner.</param>
internal sealed record DataCategory(
    string Id,
    PolicyText Name,
    PolicyText Description,
    Sensitivity Sensitivity,
    IsoDuration Retention,
    ImmutableArray<DataField> Fields)
{
    public bool IsSpecialCare => Sensitivity == Sensitivity.SpecialCare;

    public DataField? FindField(string fieldId) => Fields.FirstOrDefault(f => string.Equals(f.Id, fieldId, StringComparison.Ordinal));
}

/// <summary>The fields of one category that a purpose may receive.</summary>
internal sealed record CategoryAllowance(string CategoryId, ImmutableArray<string> FieldIds);

/// <summary>Field minimisation for one purpose: everything not listed is never released for it.</summary>
internal sealed record MinimisationRule(string PurposeId, ImmutableArray<CategoryAllowance> Allowed);

internal enum CriterionScope
{
    /// <summary>Every recipient must meet it.</summary>
    AllRecipients,

    /// <summary>Recipients of special-care personal information must meet it as well.</summary>
    SpecialCareRecipients,
}

/// <summary>Something a business must show before it is approved as a recipient.</summary>
internal sealed record RecipientCriterion(string Id, PolicyText Text, CriterionScope AppliesTo);

/// <summary>Settings for the policy as a whole (policy.yaml).</summary>
/// <param name="StatisticsMinimumGroupSize">Aggregate statistics suppress every cell counting fewer residents than this.</param>
internal sealed record PolicySettings(int SchemaVersion, string VersionLabel, int StatisticsMinimumGroupSize);
