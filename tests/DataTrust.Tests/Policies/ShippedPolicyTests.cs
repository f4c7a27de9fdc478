using System.Text.RegularExpressions;
using DataTrust.Policies;
using DataTrust.Policies.Loading;
using DataTrust.Tests.Infrastructure;

namespace DataTrust.Tests.Policies;

/// <summary>The policy in the repository is the one the service ships with: it loads and keeps the promises of the design.</summary>
public sealed partial class ShippedPolicyTests
{
    private readonly DataUsePolicy _policy = PolicyLoader.Load(RepositoryPaths.Policies);

    [Fact]
    public void It_covers_the_smart_city_data_categories()
    {
        _policy.Categories.Select(c => c.Id).ShouldBe(
            ["resident-basic", "mobility", "health-checkup", "energy-use", "household", "disaster-contact"], ignoreOrder: true);
    }

    [Fact]
    public void Health_check_up_results_are_special_care_and_only_purposes_allowed_sensitive_data_receive_them()
    {
        _policy.IsSpecialCare("health-checkup").ShouldBeTrue();
        _policy.IsSpecialCare("mobility").ShouldBeFalse();

        var receivers = _policy.Purposes.Where(p => !_policy.AllowedFields(p.Id, "health-checkup").IsEmpty).ToList();
        receivers.ShouldNotBeEmpty();
        receivers.ShouldAllBe(p => p.SensitiveDataAllowed);
    }

    [Fact]
    public void The_statistics_purpose_receives_only_coarse_fields()
    {
        var statistics = _policy.Purposes.Where(p => p.DpvPurposes.Contains(DpvPurposes.Namespace + "ProvideOfficialStatistics")).ShouldHaveSingleItem();
        statistics.AggregateOnly.ShouldBeTrue();
        statistics.SensitiveDataAllowed.ShouldBeFalse();

        string[] identifying = ["full_name", "name_kana", "date_of_birth", "address", "postal_code", "phone"];
        var fields = _policy.Categories
            .SelectMany(c => _policy.AllowedFields(statistics.Id, c.Id).Select(id => c.FindField(id)!))
            .ToList();
        fields.ShouldNotBeEmpty();
        fields.ShouldAllBe(f => !identifying.Contains(f.Id) && f.Type != FieldType.Date && f.Type != FieldType.DateTime && f.Type != FieldType.Decimal);
        _policy.AllowedFields(statistics.Id, "resident-basic").ShouldBe(["age_band", "district"], ignoreOrder: true);
        _policy.StatisticsMinimumGroupSize.ShouldBeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public void Every_purpose_speaks_Japanese_and_English_and_maps_to_DPV()
    {
        _policy.Purposes.Length.ShouldBeGreaterThanOrEqualTo(7);
        foreach (var purpose in _policy.Purposes)
        {
            JapaneseScript().IsMatch(purpose.Title.Ja).ShouldBeTrue(purpose.Id);
            JapaneseScript().IsMatch(purpose.Description.Ja).ShouldBeTrue(purpose.Id);
            JapaneseScript().IsMatch(purpose.Description.En).ShouldBeFalse(purpose.Id);
            purpose.DpvPurposes.ShouldNotBeEmpty();
            purpose.DpvPurposes.ShouldAllBe(iri => DpvPurposes.IsPurposeIri(iri));
        }
    }

    [Fact]
    public void Japanese_text_has_no_spaces_left_by_YAML_line_folding()
    {
        var texts = _policy.Purposes.SelectMany(p => new[] { p.Title.Ja, p.Description.Ja })
            .Concat(_policy.Categories.SelectMany(c => new[] { c.Name.Ja, c.Description.Ja }))
            .Concat(_policy.RecipientCriteria.Select(c => c.Text.Ja));

        texts.ShouldAllBe(text => !FoldedJapanese().IsMatch(text));
    }

    [Fact]
    public void Minimisation_releases_only_what_the_rule_lists()
    {
        var mobility = _policy.FindPurpose("mobility-improvement").ShouldNotBeNull();

        _policy.AllowedFields(mobility.Id, "mobility").ShouldNotContain("origin_latitude");
        _policy.AllowedFields(mobility.Id, "mobility").ShouldContain("origin_district");
        _policy.AllowedFields(mobility.Id, "health-checkup").ShouldBeEmpty();
        _policy.AllowedFields("no-such-purpose", "mobility").ShouldBeEmpty();
    }

    [Fact]
    public void An_unknown_category_is_treated_as_special_care()
    {
        _policy.FindCategory("no-such-category").ShouldBeNull();
        _policy.IsSpecialCare("no-such-category").ShouldBeTrue();
    }

    [Fact]
    public void Recipients_of_special_care_data_must_meet_additional_criteria()
    {
        var everyone = _policy.CriteriaFor(receivesSpecialCareData: false).ToList();
        var specialCare = _policy.CriteriaFor(receivesSpecialCareData: true).ToList();

        everyone.ShouldNotBeEmpty();
        everyone.ShouldAllBe(c => c.AppliesTo == CriterionScope.AllRecipients);
        specialCare.Count.ShouldBeGreaterThan(everyone.Count);
        everyone.ShouldAllBe(c => specialCare.Contains(c));
    }

    [Fact]
    public void Durations_count_calendar_months()
    {
        IsoDuration.TryParse("P1M", out var month).ShouldBeTrue();
        month.AddTo(new DateTimeOffset(2025, 1, 31, 9, 0, 0, TimeSpan.FromHours(9))).ShouldBe(new DateTimeOffset(2025, 2, 28, 9, 0, 0, TimeSpan.FromHours(9)));
        IsoDuration.TryParse("P1Y6M10D", out var mixed).ShouldBeTrue();
        mixed.ToString().ShouldBe("P1Y6M10D");
    }

    [GeneratedRegex(@"[\p{IsHiragana}\p{IsKatakana}\p{IsCJKUnifiedIdeographs}]")]
    private static partial Regex JapaneseScript();

    [GeneratedRegex(@"[\p{IsHiragana}\p{IsKatakana}\p{IsCJKUnifiedIdeographs}、。] +[\p{IsHiragana}\p{IsKatakana}\p{IsCJKUnifiedIdeographs}]")]
    private static partial Regex FoldedJapanese();
}
